package legacy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/atende/atende/input"
	"github.com/google/uuid"
)

// contactRow is a legacy contact as public.contacts has it.
type contactRow struct {
	legacyID     int64
	hasCreated   bool
	id           uuid.UUID
	name, email  *string
	phone        *string
	tags         []string
	customFields json.RawMessage
	createdAt    time.Time
	updatedAt    time.Time
}

var (
	contactName         = contactsTable.col("name")
	contactPhone        = contactsTable.col("phone")
	contactEmail        = contactsTable.col("email")
	contactTags         = contactsTable.col("tags")
	contactCustomFields = contactsTable.col("custom_fields")
	contactCreatedAt    = contactsTable.col("created_at")
	contactUpdatedAt    = contactsTable.col("updated_at")
)

// planContacts: phones become E.164; contacts whose phones collide once normalised are
// merged (the oldest wins, its empty fields filled from the others, tags and custom
// fields united); a phone that is not a valid number is kept in
// custom_fields.legacy_phone.
func (p *planner) planContacts(rows []row) {
	tr := p.table(contactsTable, rows)
	byPhone := map[string][]*contactRow{}
	var all []*contactRow
	rowOf := map[int64]row{}
	phones := normalizePhones(rows, p.env.region)
	for i, r := range rows {
		times, err := p.times(r, contactCreatedAt, contactUpdatedAt)
		if err != nil {
			p.rejectRef(tr, p.contacts, r, err.Error())
			continue
		}
		ct := &contactRow{legacyID: r.id, id: p.id(contactsTable, r.id), hasCreated: times[0] != nil}
		ct.name = cutOpt(tr, r, "name", r.cell(contactName).optText(), 500)
		ct.email = cutOpt(tr, r, "email", optTrimmed(r.cell(contactEmail)), 320)
		ct.tags = parseTags(r.cell(contactTags))
		var note string
		ct.customFields, note = parseObject(r.cell(contactCustomFields), "legacy_custom_fields")
		if note != "" {
			tr.change(r, "%s", note)
		}
		if raw := r.cell(contactPhone).trimmed(); raw != "" {
			if e164 := phones[i]; e164 != "" {
				ct.phone = &e164
				byPhone[e164] = append(byPhone[e164], ct)
			} else {
				ct.customFields = withField(ct.customFields, "legacy_phone", raw)
				tr.change(r, "phone %q is not a valid number: kept in custom_fields.legacy_phone", raw)
			}
		}
		ct.createdAt = p.orNow(tr, r, "created_at", times[0], times[1])
		ct.updatedAt = ct.createdAt
		if times[1] != nil {
			ct.updatedAt = *times[1]
		}
		all = append(all, ct)
		rowOf[r.id] = r
	}

	merged := map[int64]*contactRow{} // merged contact -> its survivor
	for _, ct := range all {
		if ct.phone == nil || len(byPhone[*ct.phone]) < 2 {
			continue
		}
		group := byPhone[*ct.phone]
		delete(byPhone, *ct.phone) // each group once
		slices.SortStableFunc(group, func(a, b *contactRow) int {
			if a.hasCreated != b.hasCreated {
				if a.hasCreated {
					return -1
				}
				return 1
			}
			if c := a.createdAt.Compare(b.createdAt); c != 0 {
				return c
			}
			return cmp.Compare(a.legacyID, b.legacyID)
		})
		survivor := group[0]
		for _, other := range group[1:] {
			merged[other.legacyID] = survivor
			tr.merge(rowOf[other.legacyID], strconv.FormatInt(survivor.legacyID, 10),
				fmt.Sprintf("same phone %s as contact %d once normalised (was %q)", *survivor.phone, survivor.legacyID, rowOf[other.legacyID].cell(contactPhone).trimmed()))
			survivor.fill(other)
		}
	}
	for _, ct := range all {
		if survivor := merged[ct.legacyID]; survivor != nil {
			p.contacts.ids[ct.legacyID] = target{id: survivor.id}
			continue
		}
		keep(tr, rowOf[ct.legacyID])
		p.out.contacts = append(p.out.contacts, ct)
		p.contacts.ids[ct.legacyID] = target{id: ct.id}
	}
}

// normalizePhones normalises the phone of each contact row ("" when it has none or it
// is not a valid number), on two goroutines: libphonenumber is most of the time the
// rules take before the first row can be written.
func normalizePhones(rows []row, region string) []string {
	phones := make([]string, len(rows))
	var wg sync.WaitGroup
	for half := range 2 {
		wg.Go(func() {
			for i := half; i < len(rows); i += 2 {
				if raw := rows[i].cell(contactPhone).trimmed(); raw != "" {
					phones[i], _ = input.Phone("phone", raw, region)
				}
			}
		})
	}
	wg.Wait()
	return phones
}

// fill completes the survivor of a merge from another contact of the group.
func (c *contactRow) fill(other *contactRow) {
	if c.name == nil {
		c.name = other.name
	}
	if c.email == nil {
		c.email = other.email
	}
	for _, tag := range other.tags {
		if !slices.Contains(c.tags, tag) {
			c.tags = append(c.tags, tag)
		}
	}
	c.customFields = mergeObjects(c.customFields, other.customFields)
	if other.updatedAt.After(c.updatedAt) {
		c.updatedAt = other.updatedAt
	}
}
