package main

// Formatting for the /fmt API: the toolchain's gofmt for Go files, goimports when asked, and
// `go mod edit -fmt` for go.mod files. It runs here, in the builder container, so the
// user's text never reaches a tool on the host.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

type fmtOptions struct {
	// Imports runs goimports (adds and removes imports) instead of gofmt.
	Imports bool `json:"imports"`
}

// goimportsPath is where the image builder puts Debian's static goimports, if the host had it.
const goimportsPath = "/usr/bin/goimports"

func formatFiles(ctx context.Context, work string, files map[string]string, opts fmtOptions) response {
	out := map[string]string{}
	for name, body := range files {
		var formatted string
		var err error
		switch {
		case strings.HasSuffix(name, ".go") && opts.Imports:
			formatted, err = goimports(ctx, name, body)
		case strings.HasSuffix(name, ".go"):
			formatted, err = gofmt(ctx, name, body)
		case path.Base(name) == "go.mod":
			formatted, err = formatGoMod(ctx, work, name, body)
		default:
			formatted = body
		}
		if err != nil {
			return response{Status: "build-error", Output: err.Error()}
		}
		out[name] = formatted
	}
	return response{Status: "ok", Files: out}
}

// gofmt formats with the toolchain's own gofmt, so a version's /fmt formats as that
// version does (this agent is built by the newest toolchain and serves them all). An error
// reads as go/format's, which go.dev's /fmt returns: the first one, with the file named,
// and how many more there were.
func gofmt(ctx context.Context, name, body string) (string, error) {
	cmd := exec.CommandContext(ctx, "gofmt")
	cmd.Stdin = strings.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		msg := strings.ReplaceAll(lines[0], "<standard input>", name)
		if msg == "" {
			return "", errorString("gofmt: " + err.Error())
		}
		if len(lines) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(lines)-1)
		}
		return "", errorString(msg)
	}
	return stdout.String(), nil
}

func goimports(ctx context.Context, name, body string) (string, error) {
	if _, err := os.Stat(goimportsPath); err != nil {
		return "", errorString("goimports is not installed in the builder image (install golang-golang-x-tools on the host and restart GoPlay)")
	}
	cmd := exec.CommandContext(ctx, goimportsPath)
	cmd.Stdin = strings.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(stderr.String(), "<standard input>", name))
		if msg == "" {
			msg = err.Error()
		}
		return "", errorString(msg)
	}
	return stdout.String(), nil
}

// formatGoMod formats with `go mod edit -fmt`. An error reads as upstream's, which is
// golang.org/x/mod/modfile's with the file named as the user named it
// ("dir/go.mod:1: unknown directive: 123"): the go command's own heading ("go: errors
// parsing go.mod:") goes, and the work directory's path becomes the user's name.
func formatGoMod(ctx context.Context, work, name, body string) (string, error) {
	dir, err := os.MkdirTemp(work, "mod-")
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "edit", "-fmt")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var lines []string
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			switch {
			case strings.HasPrefix(line, "go: errors parsing "):
			case strings.HasPrefix(line, file+":"):
				lines = append(lines, name+strings.TrimPrefix(line, file))
			case strings.HasPrefix(line, "go.mod:"):
				// A go command that names the file relative to its directory.
				lines = append(lines, name+strings.TrimPrefix(line, "go.mod"))
			default:
				lines = append(lines, line)
			}
		}
		msg := strings.Join(lines, "\n")
		if !strings.HasPrefix(msg, name+":") {
			// Not a parse error (the go command failed otherwise): still say which file.
			msg = name + ": " + msg
		}
		return "", errorString(msg)
	}
	b, err := os.ReadFile(file)
	return string(b), err
}

type errorString string

func (e errorString) Error() string { return string(e) }
