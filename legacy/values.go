package legacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// This file holds the value-level rules: how one legacy cell becomes one PostgreSQL
// value. Row-level rules (merges, orphans) are in normalize.go.

// value is one SQLite cell read as text (every column is selected as CAST(... AS TEXT),
// so the driver never guesses types). Cleaned says the text had to be repaired.
type value struct {
	Text    string
	Valid   bool
	Cleaned bool
}

// Scan implements sql.Scanner. Text PostgreSQL refuses is repaired here, once for every
// column: NUL bytes are removed and invalid UTF-8 becomes U+FFFD.
func (v *value) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		*v = value{}
		return nil
	case string:
		v.Text, v.Valid = s, true
	case []byte:
		v.Text, v.Valid = string(s), true
	default:
		v.Text, v.Valid = fmt.Sprint(s), true
	}
	v.Cleaned = false
	if strings.IndexByte(v.Text, 0) >= 0 {
		v.Text, v.Cleaned = strings.ReplaceAll(v.Text, "\x00", ""), true
	}
	if !utf8.ValidString(v.Text) {
		v.Text, v.Cleaned = strings.ToValidUTF8(v.Text, "\uFFFD"), true
	}
	return nil
}

// blank reports a NULL or an empty (after trimming) cell.
func (v value) blank() bool { return !v.Valid || strings.TrimSpace(v.Text) == "" }

// trimmed is the cell's text without surrounding space, "" for NULL.
func (v value) trimmed() string { return strings.TrimSpace(v.Text) }

// optText is the cell as a nullable text, NULL and "" both becoming NULL.
func (v value) optText() *string {
	if !v.Valid || v.Text == "" {
		return nil
	}
	s := v.Text
	return &s
}

// foldEmail is an email as accounts are keyed: trimmed and lower-cased.
func foldEmail(v value) string { return strings.ToLower(v.trimmed()) }

// legacyTimeLayouts are the forms SQLAlchemy wrote ('YYYY-MM-DD HH:MM:SS[.ffffff]'),
// the older ISO form with a T, and, for safety, the same with a zone. Go accepts a
// fractional second after the seconds even when the layout has none.
var (
	naiveTimeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}
	zonedTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z0700", "2006-01-02 15:04:05-07"}
)

// parseTime reads a legacy DATETIME. Naive times are in loc (--legacy-timezone); a time
// that names its zone keeps it. ok is false for NULL or empty; err for anything else
// that is not a time.
func parseTime(v value, loc *time.Location) (t time.Time, ok bool, err error) {
	if v.blank() {
		return time.Time{}, false, nil
	}
	s := v.trimmed()
	if t, ok := parseSQLAlchemyTime(s, loc); ok {
		return t, true, nil
	}
	for _, layout := range naiveTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), true, nil
		}
	}
	for _, layout := range zonedTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a timestamp", s)
}

// parseSQLAlchemyTime reads 'YYYY-MM-DD HH:MM:SS[.ffffff]' (or with a T), nearly every
// timestamp of a file, without time.Parse's cost: a million messages carry one each.
func parseSQLAlchemyTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day, hour, minute, second := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)
	nanos := 0
	if len(s) > 19 {
		digits := len(s) - 20
		if s[19] != '.' || digits < 1 || digits > 9 {
			return time.Time{}, false
		}
		if nanos = num(20, len(s)); nanos < 0 {
			return time.Time{}, false
		}
		for range 9 - digits {
			nanos *= 10
		}
	}
	if min(year, month, day, hour, minute, second) < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, loc)
	if t.Day() != day { // 2024-02-30 and the like
		return time.Time{}, false
	}
	return t.UTC(), true
}

// parseBool reads a BOOLEAN (0/1, and the spellings Python may have left). ok is false
// for NULL or empty.
func parseBool(v value) (b, ok bool, err error) {
	if v.blank() {
		return false, false, nil
	}
	switch strings.ToLower(v.trimmed()) {
	case "1", "true", "t", "yes", "y", "sim", "s":
		return true, true, nil
	case "0", "false", "f", "no", "n", "nao", "não":
		return false, true, nil
	}
	return false, false, fmt.Errorf("%q is not a boolean", v.Text)
}

// parseRef reads a foreign-key cell: 0 and ok=false for NULL or empty, an error for text
// that is not an integer id.
func parseRef(v value) (id int64, ok bool, err error) {
	if v.blank() {
		return 0, false, nil
	}
	id, err = strconv.ParseInt(v.trimmed(), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not an id", v.Text)
	}
	return id, true, nil
}

// foldWord lower-cases a status word and strips Portuguese accents and separators, so
// that 'Concluído', 'concluido' and 'CONCLUIDO' look the same.
var accentFolder = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ã", "a", "é", "e", "ê", "e", "í", "i",
	"ó", "o", "ô", "o", "õ", "o", "ú", "u", "ü", "u", "ç", "c", "_", " ", "-", " ",
)

func foldWord(s string) string {
	return strings.Join(strings.Fields(accentFolder.Replace(strings.ToLower(s))), " ")
}

// vocabulary maps the legacy words of one enumeration, English and Portuguese, to the
// new enum value.
type vocabulary struct {
	column string
	words  map[string]string
}

// newVocabulary builds a vocabulary from enum value -> accepted spellings (the value
// itself is always accepted).
func newVocabulary(column string, spellings map[string][]string) vocabulary {
	words := map[string]string{}
	for enum, synonyms := range spellings {
		words[enum] = enum
		for _, s := range synonyms {
			words[foldWord(s)] = enum
		}
	}
	return vocabulary{column: column, words: words}
}

// lookup maps v; def is used for NULL or empty. An unknown word is an error naming it.
func (voc vocabulary) lookup(v value, def string) (string, error) {
	if v.blank() {
		if def == "" {
			return "", fmt.Errorf("%s is empty", voc.column)
		}
		return def, nil
	}
	if enum, ok := voc.words[v.Text]; ok { // the common case: already the enum value
		return enum, nil
	}
	if enum, ok := voc.words[foldWord(v.Text)]; ok {
		return enum, nil
	}
	return "", fmt.Errorf("%s %q is not a known value", voc.column, v.Text)
}

var channelWords = map[string][]string{
	"whatsapp":  {"whats app", "zap", "wpp", "wa"},
	"instagram": {"insta", "ig", "direct"},
	"webchat":   {"web chat", "chat", "site", "web"},
	"email":     {"e mail", "mail", "correio"},
}

var (
	userRoles = newVocabulary("role", map[string][]string{
		"admin": {"administrator", "administrador", "administradora", "gerente"},
		"agent": {"atendente", "agente", "operador", "operadora", "user", "usuario"},
	})
	leadStages = newVocabulary("stage", map[string][]string{
		"new":       {"novo", "nova", "lead"},
		"contacted": {"contatado", "contatada", "contactado", "contactada", "em contato"},
		"qualified": {"qualificado", "qualificada"},
		"proposal":  {"proposta", "orcamento"},
		"won":       {"ganho", "ganha", "fechado", "fechada", "convertido", "convertida"},
		"lost":      {"perdido", "perdida"},
	})
	conversationChannels = newVocabulary("channel", channelWords)
	campaignChannels     = newVocabulary("channel", channelWords)
	conversationStatuses = newVocabulary("status", map[string][]string{
		"open":    {"aberto", "aberta", "ativo", "ativa"},
		"pending": {"pendente", "aguardando", "em espera"},
		"closed":  {"fechado", "fechada", "encerrado", "encerrada", "resolvido", "resolvida", "finalizado", "finalizada"},
	})
	messageDirections = newVocabulary("direction", map[string][]string{
		"inbound":  {"in", "entrada", "recebida", "recebido"},
		"outbound": {"out", "saida", "enviada", "enviado"},
	})
	senderTypes = newVocabulary("sender_type", map[string][]string{
		"contact": {"contato", "cliente", "paciente", "customer"},
		"user":    {"usuario", "atendente", "agente", "agent"},
		"ai":      {"ia", "bot", "robo", "assistente", "assistant"},
		"system":  {"sistema"},
	})
	messageStatuses = newVocabulary("status", map[string][]string{
		"queued":    {"na fila", "fila", "pendente", "aguardando"},
		"sent":      {"enviado", "enviada"},
		"delivered": {"entregue"},
		"read":      {"lido", "lida", "visualizado", "visualizada"},
		"failed":    {"falhou", "falha", "erro", "error"},
	})
	campaignStatuses = newVocabulary("status", map[string][]string{
		"draft":     {"rascunho"},
		"scheduled": {"agendado", "agendada"},
		"running":   {"em andamento", "enviando", "ativo", "ativa", "rodando"},
		"completed": {"concluido", "concluida", "finalizado", "finalizada", "enviado", "enviada"},
		"cancelled": {"canceled", "cancelado", "cancelada"},
	})
	campaignEventTypes = newVocabulary("event_type", map[string][]string{
		"queued":    {"na fila", "fila"},
		"sent":      {"enviado", "enviada"},
		"delivered": {"entregue"},
		"read":      {"lido", "lida", "visualizado", "visualizada"},
		"replied":   {"respondido", "respondida", "resposta"},
		"failed":    {"falhou", "falha", "erro", "error"},
	})
)

// messageStatusOrder is the delivery order of public.message_status.
var messageStatusOrder = map[string]int{"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

// statusAdvances mirrors private.message_status_advances: forward along queued, sent,
// delivered, read; failed only before delivery; nothing leaves read or failed.
func statusAdvances(current, next string) bool {
	if next == "failed" {
		return current == "queued" || current == "sent"
	}
	return current != "failed" && messageStatusOrder[current] < messageStatusOrder[next]
}

// parseTags reads a tags column: a JSON array (elements that are not strings are kept
// as their JSON text), a JSON string (one tag), or the old comma-separated text. Tags
// are trimmed; empty and repeated tags are dropped.
func parseTags(v value) []string {
	tags := []string{}
	if v.blank() {
		return tags
	}
	s := v.trimmed()
	var items []json.RawMessage
	var single string
	switch {
	case json.Unmarshal([]byte(s), &items) == nil:
	case json.Unmarshal([]byte(s), &single) == nil:
		items = []json.RawMessage{json.RawMessage(strconv.Quote(single))}
	default:
		for _, part := range strings.Split(s, ",") {
			items = append(items, json.RawMessage(strconv.Quote(strings.Trim(part, " \t\"'[]"))))
		}
	}
	seen := map[string]bool{}
	for _, item := range items {
		var tag string
		if json.Unmarshal(item, &tag) != nil {
			tag = string(item) // a number or other JSON value: its text
		}
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "null" || seen[tag] {
			continue
		}
		seen[tag] = true
		tags = append(tags, tag)
	}
	return tags
}

// parseObject reads a column meant to hold a JSON object. NULL and "" become {}. Text
// that is not a JSON object is kept whole under wrapKey (e.g. {"legacy_metadata":
// "raw text"}), and note says so.
func parseObject(v value, wrapKey string) (obj json.RawMessage, note string) {
	if v.blank() {
		return json.RawMessage(`{}`), ""
	}
	s := v.trimmed()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err == nil && m != nil {
		return compactJSON(s), ""
	}
	var raw any = s
	if json.Valid([]byte(s)) { // a JSON value, but not an object
		raw = json.RawMessage(s)
	}
	wrapped, _ := json.Marshal(map[string]any{wrapKey: raw})
	return wrapped, fmt.Sprintf("%s is not a JSON object: kept as {%q: ...}", strings.TrimPrefix(wrapKey, "legacy_"), wrapKey)
}

// parseJSONValue reads a system setting's value: any JSON value as it is; NULL and ""
// become JSON null; text that is not JSON becomes a JSON string of that text.
func parseJSONValue(v value) (val json.RawMessage, note string) {
	if v.blank() {
		return json.RawMessage(`null`), ""
	}
	s := v.trimmed()
	if json.Valid([]byte(s)) {
		return compactJSON(s), ""
	}
	quoted, _ := json.Marshal(s)
	return quoted, "value is not JSON: kept as a JSON string"
}

func compactJSON(s string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return json.RawMessage(s)
	}
	return buf.Bytes()
}

// mergeObjects returns base with the keys of each extra object that base lacks: the
// first object wins a key (a merged contact's own custom fields beat the others').
func mergeObjects(base json.RawMessage, extras ...json.RawMessage) json.RawMessage {
	merged := map[string]json.RawMessage{}
	for _, obj := range append([]json.RawMessage{base}, extras...) {
		var m map[string]json.RawMessage
		if json.Unmarshal(obj, &m) != nil {
			continue
		}
		for k, v := range m {
			if _, ok := merged[k]; !ok {
				merged[k] = v
			}
		}
	}
	out, _ := json.Marshal(merged) // keys sorted: deterministic
	return out
}

// withField returns obj with key set to the JSON string s.
func withField(obj json.RawMessage, key, s string) json.RawMessage {
	quoted, _ := json.Marshal(s)
	return mergeObjects(json.RawMessage(`{"`+key+`":`+string(quoted)+`}`), obj)
}

// cutText shortens s to at most limit characters (PostgreSQL counts characters, not
// bytes). cut reports whether it did.
func cutText(s string, limit int) (out string, cut bool) {
	if utf8.RuneCountInString(s) <= limit {
		return s, false
	}
	runes := []rune(s)
	return string(runes[:limit]), true
}

// parseMoney reads a NUMERIC(12,2) amount as a numeric for PostgreSQL. Negative amounts
// and amounts that do not fit are errors (leads_pipeline.value must be >= 0).
func parseMoney(v value) (pgtype.Numeric, error) {
	if v.blank() {
		return pgtype.Numeric{}, nil
	}
	s := strings.ReplaceAll(v.trimmed(), ",", ".")
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return pgtype.Numeric{}, fmt.Errorf("value %q is not a number", v.Text)
	case f < 0:
		return pgtype.Numeric{}, fmt.Errorf("value %s is negative", s)
	case f >= 1e10:
		return pgtype.Numeric{}, fmt.Errorf("value %s does not fit numeric(12,2)", s)
	}
	var n pgtype.Numeric
	if err := n.Scan(strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)); err != nil {
		return pgtype.Numeric{}, fmt.Errorf("value %q: %w", v.Text, err)
	}
	return n, nil
}

// isBcrypt reports whether hash looks like a bcrypt hash that Supabase Auth (Go's
// bcrypt) can verify: $2a$, $2b$ or $2y$, a cost and 53 characters of salt and hash.
func isBcrypt(hash string) bool {
	if len(hash) != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$' {
		return false
	}
	return strings.ContainsRune("aby", rune(hash[2])) && hash[4] >= '0' && hash[4] <= '3' && hash[5] >= '0' && hash[5] <= '9'
}
