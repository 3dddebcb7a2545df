package legacy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func text(s string) value { return value{Text: s, Valid: true} }

func TestParseTime(t *testing.T) {
	t.Parallel()
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"2024-01-02 08:00:00", time.UTC, time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)},
		{"2024-01-02 08:00:00.123456", time.UTC, time.Date(2024, 1, 2, 8, 0, 0, 123456000, time.UTC)},
		{"2024-01-02T08:00:00", time.UTC, time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)},
		{"2024-01-02T08:00:00.5", time.UTC, time.Date(2024, 1, 2, 8, 0, 0, 500000000, time.UTC)},
		{" 2024-01-02 08:00 ", time.UTC, time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)},
		{"2024-01-02", time.UTC, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2024-01-02T08:00:00Z", saoPaulo, time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)},
		{"2024-01-02 08:00:00-03:00", time.UTC, time.Date(2024, 1, 2, 11, 0, 0, 0, time.UTC)},
		// A naive time is in --legacy-timezone: 08:00 in São Paulo is 11:00 UTC.
		{"2024-01-02 08:00:00", saoPaulo, time.Date(2024, 1, 2, 11, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, ok, err := parseTime(text(tt.in), tt.loc)
		if err != nil || !ok || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q, %s) = %v, %v, %v; want %v", tt.in, tt.loc, got, ok, err, tt.want)
		}
	}
	for _, bad := range []string{"ontem", "2024-13-01 00:00:00", "2024-02-30 10:00:00", "2024-01-01 25:00:00", "1704096000"} {
		if _, _, err := parseTime(text(bad), time.UTC); err == nil {
			t.Errorf("parseTime(%q): no error", bad)
		}
	}
	if _, ok, err := parseTime(value{}, time.UTC); ok || err != nil {
		t.Errorf("parseTime(NULL) = %v, %v; want not ok, no error", ok, err)
	}
}

func TestParseTags(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		`["vip", "novo"]`:         {"vip", "novo"},
		`["vip", 7, null, "vip"]`: {"vip", "7"},
		`"vip"`:                   {"vip"},
		"vip, retorno ,,novo":     {"vip", "retorno", "novo"},
		"[vip, novo":              {"vip", "novo"},
		"":                        {},
		"   ":                     {},
	}
	for in, want := range tests {
		if got := parseTags(text(in)); !slices.Equal(got, want) {
			t.Errorf("parseTags(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseObject(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a": 1}`, `{"a":1}`},
		{"", `{}`},
		{"convenio=Amil", `{"legacy_x":"convenio=Amil"}`},
		{`["a"]`, `{"legacy_x":["a"]}`},
	}
	for _, tt := range tests {
		got, note := parseObject(text(tt.in), "legacy_x")
		if string(got) != tt.want {
			t.Errorf("parseObject(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if wrapped := strings.Contains(tt.want, "legacy_x"); wrapped != (note != "") {
			t.Errorf("parseObject(%q) note = %q", tt.in, note)
		}
	}
}

func TestVocabularies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		voc  vocabulary
		in   string
		want string
	}{
		{messageStatuses, "enviado", "sent"},
		{messageStatuses, "Lido", "read"},
		{messageStatuses, "ENTREGUE", "delivered"},
		{leadStages, "novo", "new"},
		{leadStages, "Qualificado", "qualified"},
		{campaignStatuses, "Concluído", "completed"},
		{campaignStatuses, "em_andamento", "running"},
		{conversationStatuses, "fechada", "closed"},
		{conversationChannels, "E-mail", "email"},
		{userRoles, "administrador", "admin"},
		{campaignEventTypes, "respondido", "replied"},
	}
	for _, tt := range tests {
		got, err := tt.voc.lookup(text(tt.in), "")
		if err != nil || got != tt.want {
			t.Errorf("%s %q = %q, %v; want %q", tt.voc.column, tt.in, got, err, tt.want)
		}
	}
	if _, err := messageStatuses.lookup(text("extraviado"), "sent"); err == nil {
		t.Error("unknown status: no error")
	}
	if got, err := messageStatuses.lookup(value{}, "delivered"); err != nil || got != "delivered" {
		t.Errorf("NULL status = %q, %v; want the default", got, err)
	}
}

func TestStatusAdvances(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		from, to string
		want     bool
	}{
		{"sent", "read", true}, {"read", "sent", false}, {"sent", "failed", true},
		{"delivered", "failed", false}, {"failed", "read", false}, {"delivered", "delivered", false},
	} {
		if got := statusAdvances(tt.from, tt.to); got != tt.want {
			t.Errorf("statusAdvances(%s, %s) = %v", tt.from, tt.to, got)
		}
	}
}

func TestSmallRules(t *testing.T) {
	t.Parallel()
	if !isBcrypt("$2b$10$4Aki099PenRywE2cZ5NQUuBty4bG2drobejezzUU/jR.M/HnAdfLW") || isBcrypt("plain") || isBcrypt("$1$abc") {
		t.Error("isBcrypt")
	}
	if got, cut := cutText("ãéíõú", 3); got != "ãéí" || !cut {
		t.Errorf("cutText = %q, %v", got, cut)
	}
	if got := settingKey("Clinic Name"); got != "clinic_name" {
		t.Errorf("settingKey = %q", got)
	}
	if merged := mergeObjects(json.RawMessage(`{"a":1}`), json.RawMessage(`{"a":2,"b":3}`)); string(merged) != `{"a":1,"b":3}` {
		t.Errorf("mergeObjects = %s", merged)
	}
	if amount, err := parseMoney(text("-1")); err == nil {
		t.Errorf("parseMoney(-1) = %v", amount)
	}
	var v value
	if err := v.Scan("a\x00b\xff"); err != nil || v.Text != "ab\uFFFD" || !v.Cleaned {
		t.Errorf("Scan cleaned = %q, %v", v.Text, v.Cleaned)
	}
}
