package legacy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The assistant's configuration, its knowledge base and the tenant's settings.

type (
	// aiConfigRow is the legacy AI configuration as the tenant's public.ai_config.
	aiConfigRow struct {
		r             row
		enabled       bool
		model         string
		systemPrompt  string
		temperature   float32
		businessHours json.RawMessage
		updatedAt     time.Time
	}
	// knowledgeRow is a legacy document as public.knowledge_documents has it.
	knowledgeRow struct {
		legacyID  int64
		id        uuid.UUID
		title     string
		content   string
		sourceURL *string
		tags      []string
		createdAt time.Time
		updatedAt time.Time
	}
	// settingRow is a legacy setting as public.system_settings has it.
	settingRow struct {
		r         row
		name      string // the key, as the new format has it
		value     json.RawMessage
		updatedAt time.Time
	}
)

var (
	aiConfigEnabled       = aiConfigTable.col("enabled")
	aiConfigModel         = aiConfigTable.col("model")
	aiConfigSystemPrompt  = aiConfigTable.col("system_prompt")
	aiConfigTemperature   = aiConfigTable.col("temperature")
	aiConfigBusinessHours = aiConfigTable.col("business_hours")
	aiConfigUpdatedAt     = aiConfigTable.col("updated_at")

	knowledgeTitle     = knowledgeTable.col("title")
	knowledgeContent   = knowledgeTable.col("content")
	knowledgeSourceURL = knowledgeTable.col("source_url")
	knowledgeTags      = knowledgeTable.col("tags")
	knowledgeCreatedAt = knowledgeTable.col("created_at")
	knowledgeUpdatedAt = knowledgeTable.col("updated_at")

	settingValue     = settingsTable.col("value")
	settingUpdatedAt = settingsTable.col("updated_at")
)

// planAIConfig: the tenant has one AI configuration; when the file has several rows the
// most recently updated one is kept.
func (p *planner) planAIConfig(rows []row) {
	tr := p.table(aiConfigTable, rows)
	var candidates []*aiConfigRow
	for _, r := range rows {
		enabled, ok, err := parseBool(r.cell(aiConfigEnabled))
		if err != nil {
			tr.reject(r, "enabled "+err.Error())
			continue
		}
		times, err := p.times(r, aiConfigUpdatedAt)
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		temperature := 0.3
		if cell := r.cell(aiConfigTemperature); !cell.blank() {
			if temperature, err = strconv.ParseFloat(cell.trimmed(), 64); err != nil {
				tr.reject(r, fmt.Sprintf("temperature %q is not a number", cell.Text))
				continue
			}
		}
		cfg := &aiConfigRow{r: r, enabled: enabled || !ok, model: r.cell(aiConfigModel).trimmed(),
			systemPrompt: r.cell(aiConfigSystemPrompt).Text, temperature: float32(temperature)}
		cfg.updatedAt = p.env.now
		if times[0] != nil {
			cfg.updatedAt = *times[0]
		}
		candidates = append(candidates, cfg)
	}
	slices.SortStableFunc(candidates, func(a, b *aiConfigRow) int {
		return cmp.Or(b.updatedAt.Compare(a.updatedAt), cmp.Compare(b.r.id, a.r.id))
	})
	for i, cfg := range candidates {
		if i > 0 {
			tr.reject(cfg.r, fmt.Sprintf("superseded by ai_config %d, the most recently updated (one configuration per tenant)", candidates[0].r.id))
			continue
		}
		keep(tr, cfg.r)
		if cfg.model == "" {
			cfg.model = "default"
		}
		cfg.model = cut(tr, cfg.r, "model", cfg.model, 100)
		if cfg.temperature < 0 || cfg.temperature > 2 {
			clamped := min(max(cfg.temperature, 0), 2)
			tr.change(cfg.r, "temperature %g is outside 0..2: set to %g", cfg.temperature, clamped)
			cfg.temperature = clamped
		}
		var note string
		cfg.businessHours, note = parseObject(cfg.r.cell(aiConfigBusinessHours), "legacy_business_hours")
		if note != "" {
			tr.change(cfg.r, "%s", note)
		}
		if cfg.r.cell(aiConfigUpdatedAt).blank() {
			tr.change(cfg.r, "updated_at is empty: set to the import time")
		}
		p.out.aiConfig = cfg
	}
}

// planKnowledge: an empty title becomes "Documento <id>"; content is kept whole.
func (p *planner) planKnowledge(rows []row) {
	tr := p.table(knowledgeTable, rows)
	for _, r := range rows {
		times, err := p.times(r, knowledgeCreatedAt, knowledgeUpdatedAt)
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		keep(tr, r)
		title := r.cell(knowledgeTitle).trimmed()
		if title == "" {
			title = fmt.Sprintf("Documento %d", r.id)
			tr.change(r, "title is empty: titled %q", title)
		}
		doc := &knowledgeRow{
			legacyID: r.id, id: p.id(knowledgeTable, r.id), title: cut(tr, r, "title", title, 500), content: r.cell(knowledgeContent).Text,
			sourceURL: cutOpt(tr, r, "source_url", optTrimmed(r.cell(knowledgeSourceURL)), 2048), tags: parseTags(r.cell(knowledgeTags)),
		}
		doc.createdAt = p.orNow(tr, r, "created_at", times[0], times[1])
		doc.updatedAt = doc.createdAt
		if times[1] != nil {
			doc.updatedAt = *times[1]
		}
		p.out.knowledge = append(p.out.knowledge, doc)
	}
}

// planSettings: keys are lower-cased and characters the new key format refuses become
// '_'; a key that still does not fit, or that collides with an earlier one, is rejected.
func (p *planner) planSettings(rows []row) {
	tr := p.table(settingsTable, rows)
	seen := map[string]string{}
	for _, r := range rows {
		key := settingKey(r.key)
		if !validSettingKey(key) {
			tr.reject(r, fmt.Sprintf("key %q cannot be made a settings key (a-z, 0-9, '_', '.', '-', at most 100)", r.key))
			continue
		}
		if earlier, dup := seen[key]; dup {
			tr.reject(r, fmt.Sprintf("key %q becomes %q, as key %q already does", r.key, key, earlier))
			continue
		}
		times, err := p.times(r, settingUpdatedAt)
		if err != nil {
			tr.reject(r, err.Error())
			continue
		}
		seen[key] = r.key
		keep(tr, r)
		if key != r.key {
			tr.change(r, "key renamed to %q", key)
		}
		val, note := parseJSONValue(r.cell(settingValue))
		if note != "" {
			tr.change(r, "%s", note)
		}
		p.out.settings = append(p.out.settings, &settingRow{r: r, name: key, value: val, updatedAt: p.orNow(tr, r, "updated_at", times[0])})
	}
}

func settingKey(key string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '_'
	}, strings.ToLower(strings.TrimSpace(key)))
}

func validSettingKey(key string) bool {
	if key == "" || len(key) > 100 {
		return false
	}
	first := key[0]
	return (first >= 'a' && first <= 'z') || (first >= '0' && first <= '9')
}
