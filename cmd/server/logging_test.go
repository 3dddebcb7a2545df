package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestBufferedLogWritesProblemsAtOnce(t *testing.T) {
	var out bytes.Buffer
	logs := newBufferedLog(&out)
	logger := slog.New(urgentFlush{slog.NewJSONHandler(logs, nil), logs}).With("component", "api")

	logger.Info("request", "status", 200)
	if out.Len() != 0 {
		t.Fatalf("an info line was written before a flush: %q", out.String())
	}
	logger.Error("query failed")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"msg":"request"`) || !strings.Contains(lines[1], `"msg":"query failed"`) {
		t.Fatalf("after an error: %q, want the buffered request line then the error", out.String())
	}
	logger.Info("request", "status", 204)
	if err := logs.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != 3 {
		t.Errorf("after Flush: %d lines, want 3", got)
	}
}
