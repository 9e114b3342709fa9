// Command agent runs inside the builder container. It reads one build request
// as JSON from stdin, writes the files into a fresh work directory, runs the
// Go toolchain and writes one framed response to stdout:
//
//	uint32 len | JSON {"status","output"} | [uint64 size | binary]   (big-endian)
//
// The binary follows only when status is "ok". The agent never runs the code
// it builds.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type request struct {
	Files     map[string]string `json:"files"`
	Tags      []string          `json:"tags"`
	TimeoutMs int               `json:"timeoutMs"`
	// MaxBinaryBytes caps the binary; a larger one is a build error with its size.
	MaxBinaryBytes int64 `json:"maxBinaryBytes"`
	// CacheBytes is the size the build cache is trimmed to after a request (cache.go); 0: never.
	CacheBytes int64 `json:"cacheBytes"`
	// Warm builds the standard library into GOCACHE instead of a program (with Vet: vet's
	// facts about the packages programs use most).
	Warm bool `json:"warm"`
	// Vet runs go vet after a successful build.
	Vet bool `json:"vet"`
	// Fmt formats the files instead of building them (format.go).
	Fmt *fmtOptions `json:"fmt"`
}

type response struct {
	Status string `json:"status"` // ok | build-error | timeout | oom | internal
	Output string `json:"output"`
	// Via names the path a program build took: "compiler" (fast.go) or "go".
	Via string `json:"via,omitempty"`
	// Test: the binary is a test binary (see test.go), to run with -test.v.
	Test bool `json:"test,omitempty"`
	// Vet is what go vet reported, when asked and it found something.
	Vet string `json:"vet,omitempty"`
	// VetStatus is set when go vet did not finish: timeout, oom or internal. Its findings
	// are then unknown, which is not the same as none.
	VetStatus string `json:"vetStatus,omitempty"`
	// Files are the formatted files of a fmt request.
	Files map[string]string `json:"files,omitempty"`
}

const maxOutput = 64 << 10

// linkerFlags drop the symbol table and DWARF: nothing in a sandbox reads them (panics and
// runtime.Callers use the pclntab, which stays), and linking without them takes about a
// third less time and makes a third smaller binary to hand to the runner.
var linkerFlags = []string{"-s", "-w"}

func main() {
	if toolchainVersion() == "" {
		reply(response{Status: "internal", Output: "the builder image names no Go version (GOPLAY_GO_VERSION)"}, nil)
		os.Exit(1)
	}
	startModuleRelay()
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		serve()
		return
	}

	var req request
	if err := json.NewDecoder(io.LimitReader(os.Stdin, 64<<20)).Decode(&req); err != nil {
		reply(response{Status: "internal", Output: "bad build request: " + err.Error()}, nil)
		return
	}
	resp, bin := build(req)
	reply(resp, bin)
	trimCache(req.CacheBytes)
}

// serve answers build requests one after another on the same stdin and stdout, for a
// pooled builder: a build is then one request written to an already open stream, with
// no container start and no exec. It ends at EOF.
func serve() {
	// Start mapping the standard library's export files now, so that the first
	// build this pooled builder answers can take the fast path.
	serving = true
	exports.lookup(nil)
	exports.lookup([]string{"faketime"})
	dec := json.NewDecoder(os.Stdin)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if err != io.EOF {
				reply(response{Status: "internal", Output: "bad build request: " + err.Error()}, nil)
			}
			return
		}
		resp, bin := build(req)
		reply(resp, bin)
		// After the answer: the user waits for none of it.
		trimCache(req.CacheBytes)
		if lowOnSpace("/tmp") {
			// Whatever filled the work area, the next user must not inherit it: exit, and
			// the pool replaces this builder (it takes only running ones).
			return
		}
	}
}

// lowOnSpace reports whether less than a quarter of the file system at dir is free.
func lowOnSpace(dir string) bool {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil || fs.Blocks == 0 {
		return false
	}
	return fs.Bavail*4 < fs.Blocks
}

func reply(r response, bin []byte) {
	head, _ := json.Marshal(r)
	out := make([]byte, 0, 4+len(head)+8+len(bin))
	out = binary.BigEndian.AppendUint32(out, uint32(len(head)))
	out = append(out, head...)
	if r.Status == "ok" {
		out = binary.BigEndian.AppendUint64(out, uint64(len(bin)))
		out = append(out, bin...)
	}
	os.Stdout.Write(out)
}

// toolchainVersion is the version of the Go toolchain this builder drives ("go1.19.8"),
// named by the builder image: one agent binary, built by the newest toolchain, serves
// every version, so its own runtime.Version() says nothing about the builder's.
func toolchainVersion() string {
	return os.Getenv("GOPLAY_GO_VERSION")
}

// goLanguageVersion is "1.19" for a toolchain "go1.19.8".
func goLanguageVersion() string {
	v := strings.TrimPrefix(toolchainVersion(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// warmVet vets a program importing the package playground programs use most, with and
// without faketime, so that vet's facts about them are in GOCACHE before a user asks.
func warmVet(ctx context.Context, work string) response {
	dir := filepath.Join(work, "vet")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return response{Status: "internal", Output: err.Error()}
	}
	// fmt and what it imports (os, time, strconv, reflect, …): what nearly every program
	// vets; and net/http and encoding/json, which pull in most of the rest of the standard
	// library: left to first use, a first vet of a program importing them took 16 s, past
	// the build limit, and its findings were lost. They cost about 5 s more per tag set here.
	const prog = "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"strings\"\n)\n\nfunc main() {\n\tb, _ := json.Marshal(http.StatusOK)\n\tfmt.Println(strings.ToUpper(string(b)))\n}\n"
	files := map[string]string{"prog.go": prog, "go.mod": "module play\n\ngo " + goLanguageVersion() + "\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return response{Status: "internal", Output: err.Error()}
		}
	}
	for _, tags := range [][]string{nil, {"faketime"}} {
		if resp, _ := runGo(ctx, work, dir, []string{"vet", "."}, tags); resp.Status != "ok" {
			return resp
		}
	}
	return response{Status: "ok"}
}

// warm fills GOCACHE before users ask: the standard library for both tag sets a build can
// use, or (vet) vet's facts about the packages programs use most. Each leaves a marker in
// the cache volume naming what was warmed, so a server restart skips it; once a day it runs
// again, to notice entries the go command trimmed (it drops those unused for days).
func warm(ctx context.Context, work string, vet bool) response {
	name, warmed := "goplay-warm", "std live+faketime"
	if vet {
		name, warmed = "goplay-warm-vet", "vet fmt net/http encoding/json"
	}
	marker := filepath.Join(filepath.Dir(os.Getenv("GOCACHE")), name)
	stamp := toolchainVersion() + " " + warmed
	if b, err := os.ReadFile(marker); err == nil && string(b) == stamp {
		if info, err := os.Stat(marker); err == nil && time.Since(info.ModTime()) < 24*time.Hour {
			if _, err := os.Stat(protectedList()); err != nil {
				protect(time.Time{})
			}
			return response{Status: "ok", Output: "already warm"}
		}
	}
	started := time.Now()
	if vet {
		// go vet keeps its own facts about the packages it reads; a first vet of fmt and its
		// dependencies can take longer than a build may.
		if resp := warmVet(ctx, work); resp.Status != "ok" {
			return resp
		}
	} else {
		// The same flags as a user build: -trimpath is part of the cache key, so a warm-up
		// without it would fill the cache with entries no build ever uses. Both tag sets a
		// build can use: none (live) and faketime (playback).
		for _, tags := range [][]string{nil, {"faketime"}} {
			if resp, _ := runGo(ctx, work, work, []string{"build", "-trimpath", "std"}, tags); resp.Status != "ok" {
				return resp
			}
		}
	}
	protect(started)
	os.WriteFile(marker, []byte(stamp), 0o644)
	return response{Status: "ok"}
}

// goMinor is 27 for go1.27.4: the fast path mirrors what that release's go command does.
func goMinor() int {
	parts := strings.SplitN(strings.TrimPrefix(toolchainVersion(), "go"), ".", 3)
	if len(parts) < 2 {
		return 0
	}
	minor, _ := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return minor
}

// removeWork deletes a build's work directory whole. The go command leaves the module
// cache under it read-only, which os.RemoveAll alone cannot delete: a pooled builder's
// /tmp then filled with module trees until the next user's hello world failed with "no
// space left on device".
func removeWork(dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	os.RemoveAll(dir)
}

func build(req request) (response, []byte) {
	work, err := os.MkdirTemp("/tmp", "build-")
	if err != nil {
		return response{Status: "internal", Output: err.Error()}, nil
	}
	defer removeWork(work)

	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	if req.Warm {
		return warm(ctx, work, req.Vet), nil
	}

	if req.Fmt != nil {
		// An empty binary keeps the frame the same shape as a build's.
		return formatFiles(ctx, work, req.Files, *req.Fmt), []byte{}
	}

	src := filepath.Join(work, "src")
	for name, body := range req.Files {
		clean := path.Clean(name)
		if name == "" || path.IsAbs(name) || clean != name || strings.HasPrefix(clean, "../") || clean == ".." {
			return response{Status: "build-error", Output: fmt.Sprintf("invalid file name %q\n", name)}, nil
		}
		target := filepath.Join(src, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return response{Status: "internal", Output: err.Error()}, nil
		}
		if err := os.WriteFile(target, []byte(body), 0o644); err != nil {
			return response{Status: "internal", Output: err.Error()}, nil
		}
	}
	// As the official playground: the files at the top are the program, and it is a command.
	// (Subdirectories hold other packages.)
	for name, body := range req.Files {
		if strings.HasSuffix(name, ".go") && !strings.Contains(name, "/") {
			if f, err := parser.ParseFile(token.NewFileSet(), name, body, parser.PackageClauseOnly); err == nil && f.Name.Name != "main" {
				return response{Status: "build-error", Output: "package name must be main"}, nil
			}
		}
	}
	if _, ok := req.Files["go.mod"]; !ok {
		mod := "module play\n\ngo " + goLanguageVersion() + "\n"
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(mod), 0o644); err != nil {
			return response{Status: "internal", Output: err.Error()}, nil
		}
	}
	out := filepath.Join(work, "prog")
	ldflags := "-ldflags=" + strings.Join(linkerFlags, " ")
	var resp response
	test := false
	if body, ok := req.Files["prog.go"]; ok && isTestProg(body) {
		// Upstream moves it to prog_test.go for go test, and its compile errors and vet
		// findings name that file ("./prog_test.go:4:20: undefined: testing"), as do the
		// test's own log lines; so do GoPlay's.
		test = true
		if err := os.Rename(filepath.Join(src, "prog.go"), filepath.Join(src, "prog_test.go")); err != nil {
			return response{Status: "internal", Output: err.Error()}, nil
		}
		// -vet=off: from Go 1.24 go test vets example names, and upstream's playground runs
		// tests and examples without that check (vet runs when the request asks for it).
		resp, _ = runGo(ctx, work, src, []string{"test", "-c", "-vet=off", "-o", out, "-trimpath", ldflags, "."}, req.Tags)
		resp.Via = "go"
	} else {
		var err error
		resp, err = fastBuild(ctx, src, out, req.Files, req.Tags)
		resp.Via = "compiler"
		if errors.Is(err, errNotFast) {
			resp, _ = runGo(ctx, work, src, []string{"build", "-o", out, "-trimpath", ldflags, "."}, req.Tags)
			resp.Via = "go"
		}
	}
	resp.Test = test
	if req.Vet && resp.Status == "ok" {
		// As upstream: vet's findings are reported beside a program that still runs.
		switch vet, _ := runGo(ctx, work, src, []string{"vet", "."}, req.Tags); vet.Status {
		case "ok":
		case "build-error":
			resp.Vet = dotRelative(vet.Output)
		default:
			resp.VetStatus = vet.Status
		}
	}
	if resp.Status != "ok" {
		return resp, nil
	}
	if info, err := os.Stat(out); err == nil && req.MaxBinaryBytes > 0 && info.Size() > req.MaxBinaryBytes {
		return response{Status: "build-error", Output: fmt.Sprintf("The program's binary is %d MiB, over the %d MiB limit.\n",
			(info.Size()+(1<<20)-1)>>20, req.MaxBinaryBytes>>20)}, nil
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return response{Status: "internal", Output: err.Error()}, nil
	}
	return resp, bin
}

func runGo(ctx context.Context, work, dir string, args []string, tags []string) (response, []byte) {
	if len(tags) > 0 {
		args = append(args[:1:1], append([]string{"-tags=" + strings.Join(tags, ",")}, args[1:]...)...)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPATH="+filepath.Join(work, "gopath"))
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	// A process group, so a timeout kills the compiler and linker too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return response{Status: "internal", Output: "starting go: " + err.Error()}, nil
	}
	return wait(ctx, cmd, &buf, work), nil
}

// wait waits for a started command, killing its process group at the deadline, and maps
// the result: ok, build-error (the tool's own failure, with its output), timeout, oom (the
// kernel killed it, or a process it started, for the builder's memory limit) or internal
// (killed by a signal for any other reason). A compiler killed for memory printed nothing
// and was once shown as a clean build with no output.
func wait(ctx context.Context, cmd *exec.Cmd, buf *bytes.Buffer, work string) response {
	oomBefore := oomKills()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return response{Status: "timeout", Output: clean(buf.String(), work)}
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if oomBefore >= 0 && oomKills() > oomBefore {
				return response{Status: "oom", Output: clean(buf.String(), work)}
			}
			if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() {
				return response{Status: "internal", Output: fmt.Sprintf("%s was killed by %v\n%s", filepath.Base(cmd.Path), status.Signal(), clean(buf.String(), work))}
			}
			return response{Status: "build-error", Output: clean(buf.String(), work)}
		}
		return response{Status: "internal", Output: err.Error()}
	}
	return response{Status: "ok", Output: clean(buf.String(), work)}
}

// oomKills is how many processes the kernel's OOM killer has killed in this container's
// memory cgroup (v2 or v1), or -1 when neither file can be read. A builder serves one
// request at a time, so a rise during a tool's run was that tool or a process it started.
func oomKills() int64 {
	for _, name := range []string{"/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"} {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "oom_kill ") {
				if n, err := strconv.ParseInt(strings.TrimSpace(line[len("oom_kill "):]), 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// bareGoFile matches a position that starts with a top-level file name, as go vet prints
// them from Go 1.2x on ("prog.go:6:17: …").
var bareGoFile = regexp.MustCompile(`(?m)^([^./\s:][^\s:]*\.go:\d+)`)

// dotRelative writes vet's positions as the compiler's read ("./prog.go:6:17: …"), whichever
// form this toolchain's vet uses.
func dotRelative(s string) string {
	return bareGoFile.ReplaceAllString(s, "./$1")
}

// banner matches the "# package" lines go build prints above a package's errors.
var banner = regexp.MustCompile(`(?m)^# [^\n]*\n`)

// clean makes compiler output look like the user's own directory: no package
// banners and no work-directory paths.
func clean(s, work string) string {
	s = banner.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, filepath.Join(work, "src")+"/", "./")
	s = strings.ReplaceAll(s, filepath.Join(work, "src"), ".")
	s = strings.ReplaceAll(s, work, "")
	if len(s) > maxOutput {
		s = s[:maxOutput] + "\n[output truncated]\n"
	}
	return s
}
