package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkColdStart measures the built example binary from exec to its
// first 200 on a fresh database, and reports its idle RSS and its size.
//
//	go test -run XXX -bench ColdStart -benchtime 10x ./example/
func BenchmarkColdStart(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "example")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	var rssKB float64
	b.ResetTimer()
	for i := range b.N {
		db := filepath.Join(dir, "cold"+strconv.Itoa(i)+".db")
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", db)
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		url := ""
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "running at "); ok {
				url = strings.Replace(rest, "localhost", "127.0.0.1", 1)
				break
			}
		}
		if url == "" {
			cmd.Process.Kill()
			b.Fatal("example printed no address")
		}
		resp, err := http.Get(url + "/")
		if err != nil || resp.StatusCode != http.StatusOK {
			cmd.Process.Kill()
			b.Fatalf("first request: %v %v", err, resp)
		}
		resp.Body.Close()
		b.StopTimer()
		rssKB = readRSS(b, cmd.Process.Pid)
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(rssKB/1024, "idle-RSS-MB")
	b.ReportMetric(float64(info.Size())/(1<<20), "binary-MB")
}

func readRSS(b *testing.B, pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return v
		}
	}
	return 0
}
