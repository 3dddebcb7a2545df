package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/atende/atende/auth"
)

// errNoJWTSecret is the token commands' refusal when there is nothing to sign with. The
// server may still verify tokens without the secret (SUPABASE_URL's JWKS); minting needs it.
var errNoJWTSecret = errors.New("SUPABASE_JWT_SECRET is not set: development tokens are signed with the project's HS256 JWT secret (at least 32 bytes; `make run` and `make dev-token` set a development one)")

// runToken prints a development access token for an auth user, signed with the HS256
// secret. It refuses when no secret is configured.
func runToken(_ context.Context, args []string) error {
	return printToken(args, os.Stdout)
}

func printToken(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("token", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	user := flags.String("user", "", "the auth user's UUID (auth.users.id)")
	ttl := flags.Duration("ttl", time.Hour, "how long the token is valid")
	if err := flags.Parse(args); err != nil || flags.NArg() != 0 {
		return errUsage
	}
	id, err := uuid.Parse(*user)
	if err != nil {
		return fmt.Errorf("--user must be a UUID: %w", err)
	}
	tokens, err := tokenMinter()
	if err != nil {
		return err
	}
	token, err := tokens.Mint(id, *ttl)
	if err != nil {
		return fmt.Errorf("mint token: %w", err)
	}
	fmt.Fprintln(out, token)
	return nil
}

// tokenMinter is the verifier the server would build, refused up front when it could not
// mint: the caller learns which variable to set before anything else happens.
func tokenMinter() (*auth.Verifier, error) {
	if env("SUPABASE_JWT_SECRET", "") == "" {
		return nil, errNoJWTSecret
	}
	return newVerifier()
}
