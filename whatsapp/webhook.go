package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// SignatureHeader carries Meta's signature of a webhook delivery: "sha256=" and the hex
// HMAC-SHA256 of the raw body, keyed with the app secret.
const SignatureHeader = "X-Hub-Signature-256"

// ValidSignature reports, in constant time, whether header signs body with appSecret.
func ValidSignature(appSecret string, body []byte, header string) bool {
	hexMAC, ok := strings.CutPrefix(header, "sha256=")
	mac, err := hex.DecodeString(hexMAC)
	if !ok || err != nil || appSecret == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return hmac.Equal(mac, m.Sum(nil))
}

// Sign is the header value that signs body with appSecret, as Meta sends it.
func Sign(appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Notification is a webhook delivery of the whatsapp_business_account object.
type Notification struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one business account's changes.
type Entry struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// Change is one field's change; the field "messages" carries messages and statuses.
type Change struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

// Value is what happened on one business phone number.
type Value struct {
	Metadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		WaID    string `json:"wa_id"`
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
	} `json:"contacts"`
	Messages []InboundMessage `json:"messages"`
	Statuses []Status         `json:"statuses"`
}

// InboundMessage is a message from a contact. Its content is in the member named by
// Type: text, or a media reference (image, audio, document, video, sticker), or another
// kind kept as it came (location, contacts, interactive, reaction…).
type InboundMessage struct {
	From      string                     `json:"from"`
	ID        string                     `json:"id"`
	Timestamp string                     `json:"timestamp"`
	Type      string                     `json:"type"`
	Text      *struct{ Body string }     `json:"text"`
	Rest      map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps every member, so that the one named by Type can be read whatever
// the type.
func (m *InboundMessage) UnmarshalJSON(data []byte) error {
	type plain InboundMessage
	if err := json.Unmarshal(data, (*plain)(m)); err != nil {
		return err
	}
	return json.Unmarshal(data, &m.Rest)
}

// ContactName is the profile name the notification gives for the sender wa_id.
func (v Value) ContactName(waID string) string {
	for _, c := range v.Contacts {
		if c.WaID == waID {
			return c.Profile.Name
		}
	}
	return ""
}

// Content splits a message into its text and its media reference: text for a text
// message, the caption and {"type", and Meta's fields (id, mime_type, …)} for media,
// and {"type", "<type>": what came} for any other kind.
func (m InboundMessage) Content() (text string, media json.RawMessage) {
	if m.Type == "text" && m.Text != nil {
		return m.Text.Body, nil
	}
	raw, ok := m.Rest[m.Type]
	if !ok {
		raw = json.RawMessage(`{}`)
	}
	var fields map[string]any
	if json.Unmarshal(raw, &fields) == nil && slices.Contains(mediaTypes, m.Type) {
		if caption, ok := fields["caption"].(string); ok {
			text = caption
		}
		fields["type"] = m.Type
		media, _ = json.Marshal(fields)
		return text, media
	}
	media, _ = json.Marshal(map[string]any{"type": m.Type, m.Type: raw})
	return text, media
}

// Status is a report on a message the business sent: sent, delivered, read or failed
// (with errors saying why).
type Status struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Timestamp   string `json:"timestamp"`
	RecipientID string `json:"recipient_id"`
	Errors      []struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"errors"`
}

// Reason is why a failed message failed, in Meta's words.
func (s Status) Reason() string {
	var reasons []string
	for _, e := range s.Errors {
		reason := e.Title
		if e.Message != "" && e.Message != e.Title {
			reason = strings.TrimSpace(reason + ": " + e.Message)
		}
		if e.ErrorData.Details != "" {
			reason += " (" + e.ErrorData.Details + ")"
		}
		reasons = append(reasons, reason)
	}
	return strings.Join(reasons, "; ")
}
