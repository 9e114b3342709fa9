package main

// The fast path: for the common playground program (one package main importing only the
// standard library) the agent calls the compiler and linker itself instead of `go build`.
// The go command spends about as long deciding that the standard library is up to date as
// the compiler and linker spend on the program (0.2 s of a 0.4 s hello world here), and a
// playground never needs that decision: the standard library in GOCACHE was built by
// `go build -trimpath std` when the image was prepared and never changes.
//
// Every other program (several packages, modules, cgo, embed, assembly, build constraints
// the agent would have to evaluate differently from go) takes the `go build` path, and so
// does any fast-path failure that is not a plain compile error.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	gobuild "go/build"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// stdExports maps each standard-library import path to its export file in GOCACHE, per
// build-tag set. Filled once per process in the background; until it is ready builds use
// the go command.
type stdExports struct {
	mu    sync.Mutex
	ready map[string]map[string]string // tag key → import path → export file
	busy  map[string]bool
}

var serving bool

var exports = stdExports{ready: map[string]map[string]string{}, busy: map[string]bool{}}

func tagKey(tags []string) string { return strings.Join(tags, ",") }

// lookup returns the export map for tags, starting its computation if nobody has. Only
// a serving agent computes maps: a one-shot agent exits before one would pay off.
func (s *stdExports) lookup(tags []string) map[string]string {
	key := tagKey(tags)
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.ready[key]; ok {
		return m
	}
	if serving && !s.busy[key] {
		s.busy[key] = true
		go s.load(key, tags)
	}
	return nil
}

// forget drops a map whose files turned out to be missing (a trimmed cache), so the next
// build recomputes it.
func (s *stdExports) forget(tags []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ready, tagKey(tags))
}

func (s *stdExports) load(key string, tags []string) {
	args := []string{"list", "-trimpath", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}
	if len(tags) > 0 {
		args = append(args, "-tags="+key)
	}
	cmd := exec.Command("go", append(args, "std")...)
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	m := map[string]string{}
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if path, file, ok := strings.Cut(sc.Text(), "="); ok {
				m[path] = file
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.busy, key)
	if err == nil && len(m) > 0 {
		s.ready[key] = m
	}
}

// errNotFast means the program needs the go command; it is not an error for the user.
var errNotFast = errors.New("not a fast-path program")

// fastBuild compiles and links src into out, or returns errNotFast.
func fastBuild(ctx context.Context, src, out string, files map[string]string, tags []string) (response, error) {
	std := exports.lookup(tags)
	if std == nil {
		return response{}, errNotFast
	}
	module, lang, ok := simpleModule(files)
	if !ok {
		return response{}, errNotFast
	}
	for name := range files {
		if strings.Contains(name, "/") || (!strings.HasSuffix(name, ".go") && name != "go.mod") {
			return response{}, errNotFast
		}
	}
	bctx := gobuild.Default
	bctx.CgoEnabled = false
	bctx.GOOS, bctx.GOARCH = "linux", runtime.GOARCH
	bctx.BuildTags = tags
	// The go1.N tags of the toolchain in this image, not of the one that built the agent.
	bctx.ReleaseTags = nil
	for minor := 1; minor <= goMinor(); minor++ {
		bctx.ReleaseTags = append(bctx.ReleaseTags, "go1."+strconv.Itoa(minor))
	}
	// The agent's own GOEXPERIMENT and GOAMD64 tags may differ from the toolchain's: a file
	// that asks for them is left to the go command.
	for name, body := range files {
		if strings.HasSuffix(name, ".go") && (strings.Contains(body, "goexperiment.") || strings.Contains(body, "amd64.v")) {
			return response{}, errNotFast
		}
	}
	pkg, err := bctx.ImportDir(src, 0)
	if err != nil || pkg.Name != "main" || len(pkg.IgnoredGoFiles) > 0 || len(pkg.InvalidGoFiles) > 0 ||
		len(pkg.CgoFiles) > 0 || len(pkg.EmbedPatterns) > 0 || len(pkg.SFiles)+len(pkg.CFiles)+len(pkg.HFiles)+len(pkg.SysoFiles) > 0 {
		return response{}, errNotFast
	}
	for _, imp := range pkg.Imports {
		if _, inStd := std[imp]; !inStd && imp != "unsafe" {
			return response{}, errNotFast
		}
		// The go command refuses these with its own message; let it.
		if strings.HasPrefix(imp, "vendor/") || imp == "internal" || strings.HasPrefix(imp, "internal/") || strings.Contains(imp, "/internal/") || strings.HasSuffix(imp, "/internal") {
			return response{}, errNotFast
		}
	}

	var cfg strings.Builder
	paths := make([]string, 0, len(std))
	for p := range std {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(&cfg, "packagefile %s=%s\n", p, std[p])
	}
	work := filepath.Dir(src)
	compileCfg := filepath.Join(work, "importcfg")
	if err := os.WriteFile(compileCfg, []byte(cfg.String()), 0o644); err != nil {
		return response{Status: "internal", Output: err.Error()}, nil
	}
	archive := filepath.Join(work, "main.a")
	tool := filepath.Join(runtime.GOROOT(), "pkg", "tool", runtime.GOOS+"_"+runtime.GOARCH)

	// The flags `go build -trimpath` passes (see `go build -x`), so positions, panics and
	// compile errors read the same on both paths.
	args := []string{"-o", archive, "-trimpath", src + "=>" + module, "-p", "main", "-lang=go" + lang,
		"-complete", "-goversion", toolchainVersion(), "-c=2", "-nolocalimports", "-importcfg", compileCfg, "-pack"}
	for _, f := range pkg.GoFiles {
		args = append(args, "./"+f)
	}
	if resp, failed := runTool(ctx, src, filepath.Join(tool, "compile"), args, work); failed {
		return fallbackOnCache(resp, tags)
	}

	cfg.WriteString("packagefile main=" + archive + "\n")
	cfg.WriteString("modinfo " + strconv.Quote(modInfo(module, tags)) + "\n")
	linkCfg := filepath.Join(work, "importcfg.link")
	if err := os.WriteFile(linkCfg, []byte(cfg.String()), 0o644); err != nil {
		return response{Status: "internal", Output: err.Error()}, nil
	}
	args = append([]string{"-o", out, "-importcfg", linkCfg, "-buildmode=exe"}, linkerFlags...)
	resp, failed := runTool(ctx, src, filepath.Join(tool, "link"), append(args, archive), work)
	if failed {
		return fallbackOnCache(resp, tags)
	}
	return resp, nil
}

// fallbackOnCache turns a failure that names a GOCACHE file (an export file trimmed away
// since the map was made) into a go-command build; anything else is the user's error.
func fallbackOnCache(resp response, tags []string) (response, error) {
	if cache := os.Getenv("GOCACHE"); resp.Status == "build-error" && cache != "" && strings.Contains(resp.Output, cache) {
		exports.forget(tags)
		return response{}, errNotFast
	}
	return resp, nil
}

// runTool runs one toolchain binary; failed reports a non-ok response.
func runTool(ctx context.Context, dir, tool string, args []string, work string) (response, bool) {
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	// What the go command sets for the linker with -trimpath, so runtime.GOROOT() matches a
	// go build: GOROOT_FINAL up to Go 1.22, an empty GOROOT (no default recorded) from 1.23.
	if goMinor() >= 23 {
		cmd.Env = append(os.Environ(), "GOROOT=")
	} else {
		cmd.Env = append(os.Environ(), "GOROOT_FINAL=$GOROOT")
	}
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return response{Status: "internal", Output: "starting " + filepath.Base(tool) + ": " + err.Error()}, true
	}
	resp := wait(ctx, cmd, &buf, work)
	return resp, resp.Status != "ok"
}

// simpleModule reports the module path and language version when go.mod is absent or
// declares nothing but those two (no requirements, replacements or toolchain lines).
func simpleModule(files map[string]string) (module, lang string, ok bool) {
	body, has := files["go.mod"]
	if !has {
		return "play", goLanguageVersion(), true
	}
	defer func() {
		// An older language version makes the go command record and link in that version's
		// GODEBUG defaults (Go 1.21 and later); the go command does that, not this path.
		if ok && goMinor() >= 21 && lang != goLanguageVersion() {
			module, lang, ok = "", "", false
		}
	}()
	module, lang = "", goLanguageVersion()
	for _, line := range strings.Split(body, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "module" && len(fields) == 2 && !strings.ContainsAny(fields[1], "\"`"):
			module = fields[1]
		case fields[0] == "go" && len(fields) == 2:
			lang = fields[1]
		default:
			return "", "", false
		}
	}
	return module, lang, module != ""
}

// modInfo is the build information `go build -trimpath` embeds for a main module with
// no dependencies, between the markers runtime/debug.ReadBuildInfo looks for (with
// -trimpath the go command leaves -ldflags out of it).
func modInfo(module string, tags []string) string {
	tagLine, amd64 := "", ""
	if len(tags) > 0 {
		tagLine = "build\t-tags=" + tagKey(tags) + "\n"
	}
	if runtime.GOARCH == "amd64" {
		amd64 = "build\tGOAMD64=v1\n"
	}
	buildmode := ""
	if goMinor() >= 20 {
		buildmode = "build\t-buildmode=exe\n"
	}
	const start = "0w\xaf\f\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6"
	const end = "\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
	return start + "path\t" + module + "\nmod\t" + module + "\t(devel)\t\n" + buildmode +
		"build\t-compiler=gc\n" + tagLine +
		"build\t-trimpath=true\nbuild\tCGO_ENABLED=0\nbuild\tGOARCH=" + runtime.GOARCH + "\nbuild\tGOOS=linux\n" + amd64 + end
}
