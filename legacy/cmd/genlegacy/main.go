// Command genlegacy writes a generated Atende V1.5 SQLite file, for trying and timing
// the importer:
//
//	go run ./legacy/cmd/genlegacy -messages 1000000 -out /tmp/v15_1m.db
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/atende/atende/legacy/legacytest"
)

func main() {
	out := flag.String("out", "", "the file to write (must not exist)")
	messages := flag.Int("messages", 1_000_000, "how many messages")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(os.Stderr, "genlegacy: %s exists\n", *out)
		os.Exit(1)
	}
	counts, err := legacytest.Generate(context.Background(), *out, *messages)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genlegacy:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s: %d rows %v\n", *out, counts.Total(), map[string]int(counts))
}
