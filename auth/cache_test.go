package auth

import (
	"context"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

func TestVerifyCachesResults(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	token := f.esToken(t, f.ec, "ec-1")
	first, err := f.v.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}

	// Swap the key behind "ec-1" for another one: verifying the signature again
	// would now fail, so only the cache can accept the token.
	other := newECKey(t, elliptic.P256())
	f.v.jwks.mu.Lock()
	f.v.jwks.keys["ec-1"] = publicKey{alg: jwa.ES256(), key: &other.PublicKey}
	f.v.jwks.mu.Unlock()
	verifyFails(t, f.v, f.esToken(t, f.ec, "ec-1"), "signature")
	// Nor is the server needed.
	f.jwks.Close()

	second, err := f.v.Verify(ctx, token)
	if err != nil {
		t.Fatalf("second Verify: %v", err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("cached identity = %+v, want %+v", second, first)
	}
	wantFetches(t, f.jwks, 1)
}

func TestCachedClaimsAreCopies(t *testing.T) {
	f := newFixture(t)
	token := sign(t, jwa.HS256(), []byte(testSecret), "", f.claims())
	first, err := f.v.Verify(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	first.Claims[0] = 'X'
	second, err := f.v.Verify(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if second.Claims[0] != '{' {
		t.Fatalf("a caller's change reached the cache: %s", second.Claims)
	}
}

func TestCacheHonoursExpiry(t *testing.T) {
	f := newFixture(t)
	token := sign(t, jwa.HS256(), []byte(testSecret), "", with(f.claims(), map[string]any{"exp": start.Add(time.Minute).Unix()}))
	verifyOK(t, f.v, token)
	f.clock.Advance(time.Minute + Leeway - time.Second)
	verifyOK(t, f.v, token)
	f.clock.Advance(time.Second)
	verifyFails(t, f.v, token, `"exp" not satisfied`)
}

func TestFailuresNotCached(t *testing.T) {
	f := newFixture(t)
	token := f.esToken(t, f.ec, "ec-1")
	early := sign(t, jwa.ES256(), f.ec, "ec-1", with(f.claims(), map[string]any{"nbf": start.Add(time.Minute).Unix()}))
	verifyFails(t, f.v, early, `"nbf" not satisfied`)
	f.clock.Advance(time.Minute)
	verifyOK(t, f.v, early)
	verifyOK(t, f.v, token)
}

func TestResultCacheBound(t *testing.T) {
	key := func(i int) [sha256.Size]byte {
		var k [sha256.Size]byte
		binary.BigEndian.PutUint64(k[:], uint64(i))
		return k
	}
	live := entry{until: start.Add(time.Hour)}

	c := newResultCache(10)
	for i := range 25 {
		c.put(key(i), live, start)
		if n := len(c.entries); n > 10 {
			t.Fatalf("after %d insertions the cache holds %d entries, limit 10", i+1, n)
		}
		if _, ok := c.get(key(i), start); !ok {
			t.Fatalf("entry %d missing right after insertion", i)
		}
	}

	// Expired entries go first, before any live one.
	c = newResultCache(10)
	for i := range 9 {
		c.put(key(i), entry{until: start.Add(time.Second)}, start)
	}
	c.put(key(9), live, start)
	later := start.Add(time.Second)
	c.put(key(10), live, later)
	if len(c.entries) != 2 {
		t.Fatalf("cache holds %d entries, want the 2 live ones", len(c.entries))
	}
	for _, i := range []int{9, 10} {
		if _, ok := c.get(key(i), later); !ok {
			t.Errorf("live entry %d was evicted", i)
		}
	}
	if _, ok := c.get(key(0), later); ok {
		t.Error("get returned an expired entry")
	}
}
