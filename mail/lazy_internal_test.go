package mail

import (
	"testing"

	"github.com/embedauth/auth/internal/i18n"
)

// The embedded templates are parsed at their first use, not by
// NewTemplates, so this is where a broken embedded template is caught:
// every message parses and renders with the sample data, in every
// language.
func TestEmbeddedTemplatesParseAndRender(t *testing.T) {
	cat, err := i18n.New(i18n.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		msgs, err := parseTemplates(nil, cat.Lookup(lang))
		if err != nil {
			t.Fatal(lang, err)
		}
		if len(msgs) < 10 {
			t.Fatalf("%s: %d messages", lang, len(msgs))
		}
	}
	tpl, err := NewLocalizedTemplates(nil, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.byLang) != 0 {
		t.Fatal("NewTemplates(nil) parsed the templates at once")
	}
	for _, lang := range cat.Languages() {
		for _, name := range tpl.Names() {
			d := sampleData()
			d.Lang = lang
			if _, err := tpl.Render(name, "ada@example.com", d); err != nil {
				t.Errorf("%s %s: %v", lang, name, err)
			}
		}
	}
}
