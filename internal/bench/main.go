// Command bench measures the example app as a user of it would: it builds
// the example binary (CGO_ENABLED=0, default flags), starts it on fresh
// databases in its default configuration, loads its real HTTP routes with
// keep-alive clients over loopback, and prints every figure next to a
// baseline measured in the same run (a bare net/http handler in its own
// process, the same way) and the machine's load average.
//
//	go run ./internal/bench                 # everything (about 4 minutes)
//	go run ./internal/bench -only me,app    # some measures
//
// Measures: size (binary), start (exec to first 200 on a fresh database,
// median of 10, against a bare Go server), idle (RSS after the first
// request), me (GET /auth/api/me), app (a RequireUser route of the
// example), codes (email-code sign-ins per second, new-device mail on),
// password (RSS after a minute of password sign-ins). The request loads
// use wrk (GET) or the driver's own keep-alive clients (POST sign-ins);
// those come from many loopback addresses (127.1.x.y), as sign-ins of
// many users come from many addresses, so that the example's per-address
// rate limits (30 sign-ins a minute) stay on and are never the bound.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/internal/secretbox"
	"github.com/embedauth/auth/store"
)

func main() {
	only := flag.String("only", "size,start,idle,me,app,codes,password", "measures to run, comma-separated")
	rounds := flag.Int("rounds", 3, "rounds of each interleaved comparison")
	duration := flag.Duration("d", 5*time.Second, "length of one wrk run")
	codes := flag.Int("codes", 3000, "email-code sign-ins per round")
	soak := flag.Duration("soak", 60*time.Second, "length of the password sign-in load")
	flag.Parse()
	want := map[string]bool{}
	for _, m := range strings.Split(*only, ",") {
		want[strings.TrimSpace(m)] = true
	}
	d := &driver{rounds: *rounds, dur: *duration}
	var err error
	if d.dir, err = os.MkdirTemp("", "embedauth-bench"); err != nil {
		fatal(err)
	}
	defer os.RemoveAll(d.dir)
	d.build()
	if want["size"] {
		d.size()
	}
	if want["start"] || want["idle"] {
		d.start()
	}
	if want["me"] || want["app"] {
		d.requests(want["me"], want["app"])
	}
	if want["codes"] {
		d.codes(*codes)
	}
	if want["password"] {
		d.password(*soak)
	}
}

type driver struct {
	dir, bin, bare string
	rounds         int
	dur            time.Duration
}

// started are the processes the driver started, killed if it stops on
// an error.
var (
	startedMu sync.Mutex
	started   []*exec.Cmd
)

func track(cmd *exec.Cmd) {
	startedMu.Lock()
	started = append(started, cmd)
	startedMu.Unlock()
}

func fatalf(format string, args ...any) {
	startedMu.Lock()
	for _, c := range started {
		if c.Process != nil {
			c.Process.Kill()
		}
	}
	startedMu.Unlock()
	log.Fatalf(format, args...)
}

func fatal(args ...any) { fatalf("%s", fmt.Sprint(args...)) }

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (d *driver) build() {
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		fatal(err)
	}
	d.bin, d.bare = filepath.Join(d.dir, "example"), filepath.Join(d.dir, "bare")
	for _, b := range [][2]string{{d.bin, "./example"}, {d.bare, "./internal/bench/bare"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fatal(err)
		}
	}
}

func (d *driver) size() {
	st, err := os.Stat(d.bin)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("size: example binary (CGO_ENABLED=0 go build) %.1f MiB (target <= 20 MiB)\n", float64(st.Size())/(1<<20))
}

// addr returns a fresh loopback address for a server.
func (d *driver) addr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a started server process.
type proc struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	db   string
}

// startExample starts the example on db and waits until it listens.
func (d *driver) startExample(db string) *proc {
	a := d.addr()
	cmd := exec.Command(d.bin, "-addr", a, "-db", db)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fatal(err)
	}
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	track(cmd)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "running at") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	return &proc{cmd: cmd, base: "http://" + a, db: db}
}

func (d *driver) startBare() *proc {
	a := d.addr()
	cmd := exec.Command(d.bare, "-addr", a)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	track(cmd)
	p := &proc{cmd: cmd, base: "http://" + a}
	for range 500 {
		if resp, err := http.Get(p.base + "/"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	fatal("bare server did not start")
	return nil
}

func (p *proc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
}

// cpu returns the process's user+system CPU time so far.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// status returns a field of /proc/PID/status in kB.
func (p *proc) status(field string) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return v
		}
	}
	return 0
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// firstOK polls url until it answers 200.
func firstOK(url string) {
	for range 5000 {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	fatal("no 200 from " + url)
}

// start measures exec to the first 200 on a fresh database (the example)
// and exec to the first 200 (the bare server), interleaved, and the
// example's RSS after its first request.
func (d *driver) start() {
	const n = 10
	var ex, bare, rss, exCPU, bareCPU []float64
	for i := range n {
		db := filepath.Join(d.dir, "cold"+strconv.Itoa(i)+".db")
		a := d.addr()
		t0 := time.Now()
		cmd := exec.Command(d.bin, "-addr", a, "-db", db)
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			fatal(err)
		}
		track(cmd)
		firstOK("http://" + a + "/")
		ex = append(ex, float64(time.Since(t0).Microseconds())/1000)
		p := &proc{cmd: cmd}
		exCPU = append(exCPU, float64(p.cpu().Microseconds())/1000)
		time.Sleep(time.Second) // idle
		rss = append(rss, p.status("VmRSS")/1024)
		p.stop()

		a = d.addr()
		t0 = time.Now()
		cmd = exec.Command(d.bare, "-addr", a)
		if err := cmd.Start(); err != nil {
			fatal(err)
		}
		track(cmd)
		firstOK("http://" + a + "/")
		bare = append(bare, float64(time.Since(t0).Microseconds())/1000)
		p = &proc{cmd: cmd}
		bareCPU = append(bareCPU, float64(p.cpu().Microseconds())/1000)
		p.stop()
	}
	fmt.Printf("start: exec to first 200, fresh database: example median %.1f ms (%v), bare Go server median %.1f ms (%v); load %s (target <= 25 ms)\n",
		median(ex), round(ex), median(bare), round(bare), loadavg())
	fmt.Printf("start: CPU time to first 200 (10 ms ticks): example median %.0f ms, bare median %.0f ms\n", median(exCPU), median(bareCPU))
	fmt.Printf("idle: example RSS 1 s after its first request: median %.1f MB (%v) (target <= 15 MB)\n", median(rss), round(rss))
}

func round(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return out
}

// prepare makes a database for the example with users (emails
// user0@example.com...; the first has the password), by the library itself.
func (d *driver) prepare(name string, users int, password string) string {
	db := filepath.Join(d.dir, name+".db")
	a, err := auth.New(auth.Config{DatabasePath: db, BaseURL: "http://localhost:8080", AppName: "Notes", Logger: nil})
	if err != nil {
		fatal(err)
	}
	ctx := context.Background()
	for i := range users {
		p := auth.CreateUserParams{Email: fmt.Sprintf("user%d@example.com", i), EmailVerified: true}
		if i == 0 {
			p.Password = password
		}
		if _, err := a.CreateUser(ctx, p); err != nil {
			fatal(err)
		}
	}
	a.Close()
	return db
}

const password = "violet tractor umbrella 42"

// client is a keep-alive HTTP client whose connections come from the
// loopback address src.
func client(src string, conns int) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	tr := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// srcAddr is the i-th client address, 127.1.x.y.
func srcAddr(i int) string { return fmt.Sprintf("127.1.%d.%d", (i/250)%250, i%250+1) }

func post(c *http.Client, url, cookie, body string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func sessionCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "embedauth_session") {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

var rpsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
var non2xxRE = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)

// wrk runs wrk against url with cookie and returns requests per second and
// the server's CPU per request.
func (d *driver) wrk(p *proc, url, cookie string) (float64, time.Duration) {
	args := []string{"-t1", "-c32", "-d" + d.dur.String(), url}
	if cookie != "" {
		args = append([]string{"-H", "Cookie: " + cookie}, args...)
	}
	c0 := p.cpu()
	out, err := exec.Command("wrk", args...).Output()
	if err != nil {
		fatalf("wrk: %v", err)
	}
	cpu := p.cpu() - c0
	if m := non2xxRE.FindSubmatch(out); m != nil {
		fatalf("wrk %s: %s answers not 2xx", url, m[1])
	}
	m := rpsRE.FindSubmatch(out)
	if m == nil {
		fatalf("wrk: %s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	return rps, time.Duration(float64(cpu) / (rps * d.dur.Seconds()))
}

// requests compares GET /auth/api/me and a RequireUser route of the
// example (GET /whoami) against the bare handler, interleaved.
func (d *driver) requests(me, app bool) {
	db := d.prepare("requests", 1, password)
	ex := d.startExample(db)
	defer ex.stop()
	bare := d.startBare()
	defer bare.stop()
	resp, err := post(client("127.0.0.1", 1), ex.base+"/auth/api/sign-in", "", `{"email":"user0@example.com","password":"`+password+`"}`)
	if err != nil || resp.StatusCode != http.StatusOK {
		fatalf("sign in: %v %v", err, resp)
	}
	cookie := sessionCookie(resp)
	// Each route must answer as the signed-in user.
	for _, path := range []string{"/auth/api/me", "/whoami"} {
		req, _ := http.NewRequest(http.MethodGet, ex.base+path, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "usr_") && !strings.Contains(string(b), `"id"`) {
			fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
	type row struct{ bare, me, app float64 }
	var meRatio, appRatio []float64
	var meCPU, appCPU, bareCPU []float64
	for r := range d.rounds {
		var x row
		var c time.Duration
		x.bare, c = d.wrk(bare, bare.base+"/", cookie)
		bareCPU = append(bareCPU, float64(c.Nanoseconds())/1e6)
		if me {
			x.me, c = d.wrk(ex, ex.base+"/auth/api/me", cookie)
			meCPU = append(meCPU, float64(c.Nanoseconds())/1e6)
		}
		if app {
			x.app, c = d.wrk(ex, ex.base+"/whoami", cookie)
			appCPU = append(appCPU, float64(c.Nanoseconds())/1e6)
		}
		meRatio, appRatio = append(meRatio, x.me/x.bare), append(appRatio, x.app/x.bare)
		fmt.Printf("requests round %d: bare %.0f req/s, /auth/api/me %.0f req/s (%.2fx), app /whoami %.0f req/s (%.2fx); load %s\n",
			r+1, x.bare, x.me, x.me/x.bare, x.app, x.app/x.bare, loadavg())
	}
	fmt.Printf("requests: median ratios: /auth/api/me %.2fx, /whoami %.2fx the bare handler; server CPU per request (ms, medians): bare %.3f, /auth/api/me %.3f, /whoami %.3f (targets: me >= 0.8x, app >= 0.9x)\n",
		median(meRatio), median(appRatio), median(bareCPU), median(meCPU), median(appCPU))
}

// codes measures email-code sign-ins (POST /auth/api/code/verify with the
// right code, each a flow of its own from a new browser: a new device, so
// each also queues a new-device mail), against the bare handler answering
// the same POSTs from the same clients, interleaved over rounds.
func (d *driver) codes(n int) {
	const clients = 64
	db := d.prepare("codes", n*d.rounds, password)
	ex := d.startExample(db)
	defer ex.stop()
	bare := d.startBare()
	defer bare.stop()
	key, err := os.ReadFile(db + ".key")
	if err != nil {
		fatal(err)
	}
	k, _, err := secretbox.LoadOrCreateKeyFile(db + ".key")
	if err != nil || len(key) == 0 {
		fatal(err)
	}
	box, err := secretbox.New(k)
	if err != nil {
		fatal(err)
	}
	sqldb, err := sql.Open("sqlite", store.DSN(db))
	if err != nil {
		fatal(err)
	}
	defer sqldb.Close()
	// One address per 10 flows: the start of a flow and its verification count against
	// the same limit of 30 a minute per address.
	cls := map[string]*http.Client{}
	var mu sync.Mutex
	clientFor := func(i int) *http.Client {
		src := srcAddr(i / 10)
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cls[src]; ok {
			return c
		}
		c := client(src, 4)
		cls[src] = c
		return c
	}
	codeRE := regexp.MustCompile(`Your sign-in code is (\d{6,8})\.`)
	for r := range d.rounds {
		type flow struct{ email, cookie, code string }
		flows := make([]flow, n)
		base := r * n
		parallel(n, clients, func(i int) error {
			email := fmt.Sprintf("user%d@example.com", base+i)
			resp, err := post(clientFor(base+i), ex.base+"/auth/api/sign-in/email-code", "", `{"email":"`+email+`"}`)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusAccepted {
				return fmt.Errorf("start: %d", resp.StatusCode)
			}
			flows[i] = flow{email: email, cookie: sessionCookie(resp)}
			return nil
		})
		// The codes, from the sealed mail in the outbox.
		byEmail := map[string]string{}
		for len(byEmail) < n {
			rows, err := sqldb.Query(`SELECT recipient, body FROM auth_mail_outbox WHERE template = 'sign_in_code' AND body IS NOT NULL`)
			if err != nil {
				fatal(err)
			}
			for rows.Next() {
				var to string
				var body []byte
				rows.Scan(&to, &body)
				if _, ok := byEmail[to]; ok {
					continue
				}
				plain, err := box.Open(body)
				if err != nil {
					continue
				}
				var m struct{ Text string }
				json.Unmarshal(plain, &m)
				if c := codeRE.FindStringSubmatch(m.Text); c != nil {
					byEmail[to] = c[1]
				}
			}
			rows.Close()
			if len(byEmail) < n {
				var got int
				for _, f := range flows {
					if byEmail[f.email] != "" {
						got++
					}
				}
				if got == n {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		for i := range flows {
			flows[i].code = byEmail[flows[i].email]
		}
		bareCPU0 := bare.cpu()
		t0 := time.Now()
		parallel(n, clients, func(i int) error {
			resp, err := post(clientFor(base+i), bare.base+"/verify", flows[i].cookie, `{"code":"`+flows[i].code+`"}`)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("bare: %d", resp.StatusCode)
			}
			return err
		})
		bareRate := float64(n) / time.Since(t0).Seconds()
		bareCPU := bare.cpu() - bareCPU0
		exCPU0 := ex.cpu()
		t0 = time.Now()
		parallel(n, clients, func(i int) error {
			resp, err := post(clientFor(base+i), ex.base+"/auth/api/code/verify", flows[i].cookie, `{"code":"`+flows[i].code+`"}`)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("verify: %d", resp.StatusCode)
			}
			return err
		})
		rate := float64(n) / time.Since(t0).Seconds()
		exCPU := ex.cpu() - exCPU0
		var sessions int
		sqldb.QueryRow(`SELECT COUNT(*) FROM auth_sessions`).Scan(&sessions)
		fmt.Printf("codes round %d: %d sign-ins, %.0f/s (%.2f ms server CPU each), bare %.0f req/s (%.3f ms CPU); sessions in the database %d; load %s (target >= 1500/s)\n",
			r+1, n, rate, float64(exCPU.Microseconds())/1000/float64(n), bareRate, float64(bareCPU.Microseconds())/1000/float64(n), sessions, loadavg())
	}
}

// parallel calls fn(0..n-1) from workers goroutines; any error is fatal.
func parallel(n, workers int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var errs atomic.Int64
	var first atomic.Value
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if errs.Load() > 0 {
		fatalf("%d errors; first: %v", errs.Load(), first.Load())
	}
}

// password signs in with the password from 16 keep-alive clients for soak
// and reports the example's RSS then, and its peak.
func (d *driver) password(soak time.Duration) {
	const clients = 16
	db := d.prepare("password", 1, password)
	ex := d.startExample(db)
	defer ex.stop()
	body := `{"email":"user0@example.com","password":"` + password + `"}`
	var done, limited atomic.Int64
	deadline := time.Now().Add(soak)
	var wg sync.WaitGroup
	var addr atomic.Int64
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				// A new address every 25 sign-ins (the limit is 30 a minute).
				c := client(srcAddr(int(addr.Add(1))), 1)
				for range 25 {
					if !time.Now().Before(deadline) {
						break
					}
					resp, err := post(c, ex.base+"/auth/api/sign-in", "", body)
					if err != nil {
						fatal(err)
					}
					switch resp.StatusCode {
					case http.StatusOK:
						done.Add(1)
					case http.StatusTooManyRequests:
						limited.Add(1)
					default:
						fatalf("sign in: %d", resp.StatusCode)
					}
				}
				c.CloseIdleConnections()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("password: %d sign-ins in %v (%.0f/s), %d answered 429; example RSS after: %.1f MB, peak %.1f MB; load %s (target <= 50 MB)\n",
		done.Load(), soak, float64(done.Load())/soak.Seconds(), limited.Load(), ex.status("VmRSS")/1024, ex.status("VmHWM")/1024, loadavg())
}
