package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
)

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
	tokens, err := newVerifier()
	if err != nil {
		return err
	}
	token, err := tokens.Mint(id, *ttl)
	if err != nil {
		return fmt.Errorf("mint token (is SUPABASE_JWT_SECRET set?): %w", err)
	}
	fmt.Fprintln(out, token)
	return nil
}
