package mail

import "testing"

// The embedded templates are parsed at their first use, not by
// NewTemplates, so this is where a broken embedded template is caught:
// every message parses and renders with the sample data.
func TestEmbeddedTemplatesParseAndRender(t *testing.T) {
	msgs, err := parseTemplates(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 10 {
		t.Fatalf("%d messages", len(msgs))
	}
	tpl, err := NewTemplates(nil)
	if err != nil {
		t.Fatal(err)
	}
	if tpl.msgs != nil {
		t.Fatal("NewTemplates(nil) parsed the templates at once")
	}
	for _, name := range tpl.Names() {
		if _, err := tpl.Render(name, "ada@example.com", sampleData()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
