package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"
)

// Fairness bounds what one user or one tenant can take of a process, so that a flood
// from one slows nobody else: each user's requests are rate limited (429 with
// Retry-After), and each tenant has at most TenantInFlight requests doing database work
// at once — the rest wait their turn in the tenant's own queue (at most TenantQueue),
// not in the connection pool's, which every tenant shares.
type Fairness struct {
	// UserRate is the requests per second a user may make on average, UserBurst how many
	// at once after a quiet spell.
	UserRate  float64
	UserBurst int
	// TenantInFlight is how many of a tenant's requests may use the database at once;
	// keep it below the pool's size so that other tenants always find a connection.
	TenantInFlight int
	// TenantQueue is how many more may wait for one of those places; beyond it, 429.
	TenantQueue int
}

// DefaultFairness suits a pool of poolSize connections: a tenant may use an eighth of it
// (2 of the default 16), about what two cores run at once. With a quarter, a tenant
// flooding lead moves and searches tripled another's p99 on two cores (make bench,
// fairness); with an eighth it stayed within 1.4×, and the flood itself went faster.
func DefaultFairness(poolSize int) Fairness {
	return Fairness{UserRate: 20, UserBurst: 40, TenantInFlight: max(1, poolSize/8), TenantQueue: 64}
}

// userLimits rate limits each user with a token bucket of their own.
type userLimits struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	users map[uuid.UUID]*rate.Limiter
}

// maxTrackedUsers bounds userLimits' memory: beyond it, buckets that are full again
// (their users idle) are dropped.
const maxTrackedUsers = 100_000

func (l *userLimits) allow(user uuid.UUID) (ok bool, retryAfter time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	limiter, found := l.users[user]
	if !found {
		if len(l.users) >= maxTrackedUsers {
			for id, idle := range l.users {
				if idle.TokensAt(now) >= float64(l.burst) {
					delete(l.users, id)
				}
			}
		}
		limiter = rate.NewLimiter(l.rate, l.burst)
		l.users[user] = limiter
	}
	reservation := limiter.ReserveN(now, 1)
	if delay := reservation.DelayFrom(now); delay > 0 {
		reservation.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// tenantGate lets at most limit requests of a tenant in at once, and queue more wait.
type tenantGate struct {
	limit, queue int

	mu      sync.Mutex
	tenants map[uuid.UUID]*tenantSlots
}

type tenantSlots struct {
	inFlight int
	waiters  []chan struct{} // closed when a leaving request hands its place over
}

// enter waits for one of the tenant's places, and returns the function that gives it
// back; a 429 problem when the tenant's queue is full.
func (g *tenantGate) enter(ctx context.Context, tenant uuid.UUID) (leave func(), err error) {
	g.mu.Lock()
	s := g.tenants[tenant]
	if s == nil {
		s = &tenantSlots{}
		g.tenants[tenant] = s
	}
	leave = func() { g.leave(tenant, s) }
	if s.inFlight < g.limit {
		s.inFlight++
		g.mu.Unlock()
		return leave, nil
	}
	if len(s.waiters) >= g.queue {
		g.mu.Unlock()
		return nil, retryLater(http.StatusTooManyRequests, time.Second, "too many requests of your tenant are in progress: try again shortly")
	}
	turn := make(chan struct{})
	s.waiters = append(s.waiters, turn)
	g.mu.Unlock()

	select {
	case <-turn:
		return leave, nil
	case <-ctx.Done():
		g.mu.Lock()
		for i, w := range s.waiters {
			if w == turn { // still waiting: give up the turn
				s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
				g.mu.Unlock()
				return nil, ctx.Err()
			}
		}
		g.mu.Unlock()
		leave() // the place was handed over meanwhile: pass it on
		return nil, ctx.Err()
	}
}

func (g *tenantGate) leave(tenant uuid.UUID, s *tenantSlots) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(s.waiters) > 0 {
		close(s.waiters[0]) // the place goes to the next in line
		s.waiters = s.waiters[1:]
		return
	}
	if s.inFlight--; s.inFlight == 0 {
		delete(g.tenants, tenant)
	}
}

// userTenants remembers each user's tenant, learned from their profile, so that a
// request can wait for its tenant's turn before it touches the database. A stale
// answer (a user who changed tenants) only queues a request behind the wrong tenant.
type userTenants struct {
	mu      sync.Mutex
	tenants map[uuid.UUID]uuid.UUID
}

func (u *userTenants) get(user uuid.UUID) (uuid.UUID, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	tenant, ok := u.tenants[user]
	return tenant, ok
}

func (u *userTenants) set(user, tenant uuid.UUID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.tenants) >= maxTrackedUsers {
		clear(u.tenants)
	}
	u.tenants[user] = tenant
}
