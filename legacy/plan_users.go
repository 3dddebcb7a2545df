package legacy

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/atende/atende/input"
	"github.com/google/uuid"
)

// userRow is a legacy user as an auth user of the tenant (auth.users, auth.identities,
// and the profile the signup trigger makes).
type userRow struct {
	legacyID     int64
	id           uuid.UUID
	identityID   uuid.UUID
	email        string
	passwordHash string
	fullName     *string
	role         string
	bannedUntil  *time.Time
	createdAt    time.Time
}

var (
	userEmail          = usersTable.col("email")
	userHashedPassword = usersTable.col("hashed_password")
	userFullName       = usersTable.col("full_name")
	userRole           = usersTable.col("role")
	userIsActive       = usersTable.col("is_active")
	userCreatedAt      = usersTable.col("created_at")
)

// bannedForever is the banned_until of an inactive legacy user. A far date rather than
// 'infinity', which Supabase Auth (Go) cannot read.
var bannedForever = time.Date(2999, time.December, 31, 23, 59, 59, 0, time.UTC)

// planUsers: emails are lower-cased and validated; accounts that differ only in the case
// of their email are merged (an active account beats an inactive one, then the oldest
// wins); an email that already has an auth account is merged into it when that account
// belongs to the tenant and rejected otherwise.
func (p *planner) planUsers(rows []row) {
	tr := p.table(usersTable, rows)
	type candidate struct {
		r        row
		email    string
		fullName *string
		role     string
		active   bool
		created  *time.Time
	}
	groups := map[string][]*candidate{}
	var emails []string
	for _, r := range rows {
		email, err := input.Email("email", r.cell(userEmail).Text)
		if err != nil {
			p.rejectRef(tr, p.users, r, fmt.Sprintf("email %q is not an address", r.cell(userEmail).Text))
			continue
		}
		role, err := userRoles.lookup(r.cell(userRole), "agent")
		if err != nil {
			p.rejectRef(tr, p.users, r, err.Error())
			continue
		}
		active, ok, err := parseBool(r.cell(userIsActive))
		if err != nil {
			p.rejectRef(tr, p.users, r, "is_active "+err.Error())
			continue
		}
		times, err := p.times(r, userCreatedAt)
		if err != nil {
			p.rejectRef(tr, p.users, r, err.Error())
			continue
		}
		if _, seen := groups[email]; !seen {
			emails = append(emails, email)
		}
		var fullName *string
		if name := r.cell(userFullName).trimmed(); name != "" {
			fullName = &name
		}
		groups[email] = append(groups[email], &candidate{r: r, email: email, fullName: fullName, role: role, active: active || !ok, created: times[0]})
	}

	for _, email := range emails {
		group := groups[email]
		// Active first, then the oldest (unknown creation last), then the lowest id.
		slices.SortStableFunc(group, func(a, b *candidate) int {
			if a.active != b.active {
				if a.active {
					return -1
				}
				return 1
			}
			if c := compareOptTimes(a.created, b.created); c != 0 {
				return c
			}
			return cmp.Compare(a.r.id, b.r.id)
		})
		survivor := group[0]
		id := p.id(usersTable, survivor.r.id)
		if acct, exists := p.env.accounts[email]; exists && acct.id != id {
			for _, c := range group {
				if acct.tenantID.Valid && acct.tenantID.UUID == p.env.tenantID {
					tr.merge(c.r, acct.id.String(), "an account with this email already exists in the tenant (its password is kept)")
					p.users.ids[c.r.id] = target{id: acct.id}
				} else {
					p.rejectRef(tr, p.users, c.r, "an account with this email already exists outside this tenant")
				}
			}
			continue
		}

		keep(tr, survivor.r)
		p.users.ids[survivor.r.id] = target{id: id}
		u := &userRow{legacyID: survivor.r.id, id: id, identityID: p.ids.id("identities", survivor.r.id), email: email, role: survivor.role, fullName: survivor.fullName}
		for _, other := range group[1:] {
			tr.merge(other.r, survivor.r.legacyID(), fmt.Sprintf("same email as user %d once lower-cased (%q)", survivor.r.id, other.r.cell(userEmail).Text))
			p.users.ids[other.r.id] = target{id: id}
			if u.fullName == nil {
				u.fullName = other.fullName
			}
		}
		u.passwordHash = survivor.r.cell(userHashedPassword).trimmed()
		if !isBcrypt(u.passwordHash) {
			tr.change(survivor.r, "hashed_password is not a bcrypt hash: the user must reset the password")
			u.passwordHash = ""
		}
		if u.fullName != nil && len([]rune(*u.fullName)) > 200 {
			tr.change(survivor.r, "full_name longer than 200 characters: the profile keeps 200, the auth metadata keeps it whole")
		}
		if !survivor.active {
			banned := bannedForever
			u.bannedUntil = &banned
		}
		u.createdAt = p.orNow(tr, survivor.r, "created_at", survivor.created)
		p.out.users = append(p.out.users, u)
	}
}
