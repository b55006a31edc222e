package argon2

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var updateDiff = flag.Bool("update", false, "rewrite upstream.diff from the pinned golang.org/x/crypto")

// TestInStepWithUpstream keeps this fork in step with the
// golang.org/x/crypto that go.mod pins: the differences of every file both
// have (diff -u, upstream first) must be exactly upstream.diff. When the
// pinned version changes, this test fails and shows the new differences:
// review what upstream changed, carry it over into the fork, and rewrite
// upstream.diff with
//
//	go test ./internal/argon2 -run TestInStepWithUpstream -update
//
// and review that diff as well: it is the whole of what this fork adds.
func TestInStepWithUpstream(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", "golang.org/x/crypto").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff command")
	}
	var got bytes.Buffer
	got.WriteString("golang.org/x/crypto " + version + "\n")
	files, err := filepath.Glob(filepath.Join(dir, "argon2", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no upstream files in %s: %v", dir, err)
	}
	for _, up := range files {
		name := filepath.Base(up)
		if _, err := os.Stat(name); err != nil {
			got.WriteString("only upstream: " + name + "\n")
			continue
		}
		d, err := exec.Command("diff", "-u", "--label", "upstream/"+name, "--label", "fork/"+name, up, name).Output()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
			t.Fatalf("diff %s: %v", name, err)
		}
		got.Write(d)
	}
	if *updateDiff {
		if err := os.WriteFile("upstream.diff", got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("upstream.diff")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the fork's differences from golang.org/x/crypto %s are not upstream.diff's; see this test's comment.\nNow:\n%s", version, got.Bytes())
	}
}
