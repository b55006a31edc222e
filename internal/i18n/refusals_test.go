package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// refusalMessages returns the messages the module's Go code gives its
// refusals (core.Error's Message): the last string argument of
// core.Refuse, core.Invalid, httpx.Errorf and the packages' refuse
// helpers, and the Message of core.Error literals, with where each is
// written.
func refusalMessages(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "example", "cmd", ".git", "docs":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		add := func(e ast.Expr) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && s != "" {
				out[s] = fset.Position(lit.Pos()).String()
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				switch name {
				case "Refuse", "refuse", "Invalid", "invalid":
					if len(n.Args) >= 2 {
						add(n.Args[len(n.Args)-1])
					}
				case "formatted":
					// formatted(err, format, args...) in package web
					if len(n.Args) >= 2 {
						add(n.Args[1])
					}
				case "Errorf":
					// httpx.Errorf(status, code, message)
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && len(n.Args) == 3 {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "httpx" {
							add(n.Args[2])
						}
					}
				}
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "Message" || k.Name == "Format") {
								add(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRefusalsHaveMessages: every message a refusal is given in Go is in
// the English catalog, so each language translates it (a message missing
// there reaches every user in English).
func TestRefusalsHaveMessages(t *testing.T) {
	en := readCatalog(t, "en.json")
	msgs := refusalMessages(t, filepath.Join("..", ".."))
	if len(msgs) < 100 {
		t.Fatalf("found only %d refusal messages: the scan is broken", len(msgs))
	}
	var missing []string
	for m, where := range msgs {
		if _, ok := en[m]; !ok {
			missing = append(missing, where+": "+strconv.Quote(m))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d refusal messages are not in en.json:\n%s", len(missing), len(msgs), strings.Join(missing, "\n"))
	}
}
