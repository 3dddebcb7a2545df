// Package whatsapp speaks Meta's WhatsApp Cloud API: sending text and media by link
// through the Graph API, and reading and authenticating its webhooks.
package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultGraphURL is the Graph API base, with the version the requests are written for.
const DefaultGraphURL = "https://graph.facebook.com/v21.0"

// Client calls the Graph API at BaseURL (WHATSAPP_GRAPH_URL).
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// NewClient is a client of the Graph API at baseURL (DefaultGraphURL when empty), each
// request bounded by timeout.
func NewClient(baseURL string, timeout time.Duration) *Client {
	if baseURL == "" {
		baseURL = DefaultGraphURL
	}
	return &Client{BaseURL: strings.TrimSuffix(baseURL, "/"), HTTP: &http.Client{Timeout: timeout}}
}

// Account is a business phone number and the access token that may send from it.
type Account struct {
	PhoneNumberID string
	AccessToken   string
}

// Message is what one send carries: text, or media by link with the text as caption.
type Message struct {
	// To is the recipient's phone number in E.164 (the leading + is optional).
	To    string
	Text  string
	Media *Media
}

// Error is the Graph API's refusal of a request. Retryable says whether the same request
// may succeed later (throttling, a server error); RetryAfter is the wait the API asked
// for, if it did.
type Error struct {
	Status     int
	Code       int
	Message    string
	Retryable  bool
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("whatsapp: %s (HTTP %d, code %d)", e.Message, e.Status, e.Code)
	}
	return fmt.Sprintf("whatsapp: %s (HTTP %d)", e.Message, e.Status)
}

// throttlingCodes are the Graph API's error codes for "too many requests, later": the
// platform's and the business's rate limits, and its temporary failures.
var throttlingCodes = map[int]bool{1: true, 2: true, 4: true, 80007: true, 130429: true, 131000: true, 131048: true, 131056: true, 133004: true}

// Send sends m from the account and returns the message's id (wamid). A transport error
// or a Retryable *Error may be retried; any other *Error is final.
func (c *Client) Send(ctx context.Context, account Account, m Message) (string, error) {
	body := map[string]any{
		"messaging_product": "whatsapp",
		"recipient_type":    "individual",
		"to":                strings.TrimPrefix(m.To, "+"),
	}
	if m.Media != nil {
		body["type"] = m.Media.Type
		body[m.Media.Type] = m.Media.payload(m.Text)
	} else {
		body["type"] = "text"
		body["text"] = map[string]any{"body": m.Text, "preview_url": false}
	}
	var answer struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(account.PhoneNumberID)+"/messages", account.AccessToken, body, &answer); err != nil {
		return "", err
	}
	if len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
		return "", &Error{Status: http.StatusOK, Message: "the answer names no message id", Retryable: false}
	}
	return answer.Messages[0].ID, nil
}

// PhoneNumber asks the Graph API for the account's number as it is displayed: it proves
// that the token may use that phone number id.
func (c *Client) PhoneNumber(ctx context.Context, account Account) (string, error) {
	var answer struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
	}
	path := "/" + url.PathEscape(account.PhoneNumberID) + "?fields=display_phone_number"
	if err := c.do(ctx, http.MethodGet, path, account.AccessToken, nil, &answer); err != nil {
		return "", err
	}
	return answer.DisplayPhoneNumber, nil
}

func (c *Client) do(ctx context.Context, method, path, token string, body, answer any) error {
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("whatsapp: %s %s: %w", method, c.BaseURL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("whatsapp: read the answer: %w", err)
	}
	if res.StatusCode >= 300 {
		return graphError(res, raw)
	}
	if err := json.Unmarshal(raw, answer); err != nil {
		return &Error{Status: res.StatusCode, Message: "the answer is not JSON: " + err.Error(), Retryable: true}
	}
	return nil
}

// graphError reads the Graph API's error object: {"error": {"message", "code",
// "error_data": {"details"}}}.
func graphError(res *http.Response, raw []byte) *Error {
	var body struct {
		Error struct {
			Message   string `json:"message"`
			Code      int    `json:"code"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	e := &Error{Status: res.StatusCode, Code: body.Error.Code, Message: body.Error.Message}
	if e.Message == "" {
		e.Message = http.StatusText(res.StatusCode)
	}
	if d := body.Error.ErrorData.Details; d != "" && d != e.Message {
		e.Message += ": " + d
	}
	e.Retryable = res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 || throttlingCodes[e.Code]
	if seconds, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && seconds >= 0 {
		e.RetryAfter = time.Duration(seconds) * time.Second
	} else if at, err := http.ParseTime(res.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = max(0, time.Until(at))
	}
	return e
}

// IsFinal reports whether err is the Graph API's final refusal: sending again is useless.
func IsFinal(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Retryable
}
