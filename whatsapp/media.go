package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
)

// mediaTypes are the kinds of media sent by link.
var mediaTypes = []string{"image", "document", "audio", "video", "sticker"}

// Media is an attachment sent by link: {"type": "image", "url": "https://…", "filename"?}.
type Media struct {
	Type     string `json:"type"`
	URL      string `json:"url"`
	Filename string `json:"filename,omitempty"`
}

// ParseMedia reads a message's media for sending, an object or an array of one: nil for
// none; an error, worded for the author, when WhatsApp cannot send it.
func ParseMedia(raw json.RawMessage) (*Media, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one []json.RawMessage
	if json.Unmarshal(raw, &one) == nil {
		if len(one) != 1 {
			return nil, fmt.Errorf("WhatsApp sends one attachment per message, not %d", len(one))
		}
		raw = one[0]
	}
	var m Media
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || !slices.Contains(mediaTypes, m.Type) {
		return nil, fmt.Errorf(`media must be {"type": one of %v, "url": "https://…", "filename"?: "…"} to be sent on WhatsApp`, mediaTypes)
	}
	if u, err := url.Parse(m.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("media.url must be an https URL that WhatsApp can fetch")
	}
	return &m, nil
}

// payload is the media object of a send: the link, the caption where the type takes
// one, the file name of a document.
func (m *Media) payload(caption string) map[string]any {
	p := map[string]any{"link": m.URL}
	if caption != "" && (m.Type == "image" || m.Type == "video" || m.Type == "document") {
		p["caption"] = caption
	}
	if m.Type == "document" && m.Filename != "" {
		p["filename"] = m.Filename
	}
	return p
}
