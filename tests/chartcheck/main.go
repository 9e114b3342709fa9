// Command chartcheck renders a Helm chart's templates without helm.
//
// Helm templates are Go text/template with Sprig functions; this parses every file under
// templates/ into one template set with Go's own parser, exactly as Helm does, and a FuncMap
// holding only the Helm/Sprig functions implemented in funcs.go. A function the chart uses
// that is not implemented (or a typo) therefore fails the parse, as it would in helm.
//
// Usage:
//
//	go run ./tests/chartcheck -chart charts/goplay -values values.json
//
// values.json is the complete values tree (the chart's values.yaml already merged with any
// overrides: the caller converts YAML, since the standard library has no YAML parser).
// Output (stdout, JSON): {"manifests":[{"template","content"}], "valuesPaths":[...]}, where
// valuesPaths lists every .Values path the templates reference. Errors go to stderr with a
// non-zero exit.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

// Release, Chart and the Files accessor mirror the fields Helm puts on the top-level object.
type Release struct {
	Name      string
	Namespace string
	Service   string
	IsInstall bool
	IsUpgrade bool
	Revision  int
}

type Chart struct {
	Name       string
	Version    string
	AppVersion string
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions APIVersions
}

type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

// APIVersions answers .Capabilities.APIVersions.Has like helm template does offline:
// only the built-in groups, never CRDs.
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// Files reads chart files relative to the chart root, as .Files.Get does. Helm returns ""
// for a missing file; here that is an error, since an embedded file that is not there (a
// renamed dashboard) is a chart bug that would otherwise ship an empty ConfigMap.
type Files struct{ root string }

func (f Files) Get(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(f.root, filepath.FromSlash(name)))
	if err != nil {
		return "", fmt.Errorf(".Files.Get %q: %w", name, err)
	}
	return string(b), nil
}

type manifest struct {
	Template string `json:"template"`
	Content  string `json:"content"`
}

type output struct {
	Manifests   []manifest `json:"manifests"`
	ValuesPaths []string   `json:"valuesPaths"`
}

func main() {
	chartDir := flag.String("chart", "charts/goplay", "chart directory")
	valuesFile := flag.String("values", "", "complete values as JSON (required)")
	releaseName := flag.String("release", "goplay", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	strict := flag.Bool("strict", true, "fail on a missing map key (helm lint --strict)")
	flag.Parse()
	if err := run(*chartDir, *valuesFile, *releaseName, *namespace, *strict); err != nil {
		fmt.Fprintln(os.Stderr, "chartcheck:", err)
		os.Exit(1)
	}
}

func run(chartDir, valuesFile, releaseName, namespace string, strict bool) error {
	if valuesFile == "" {
		return errors.New("-values is required")
	}
	chart, err := readChart(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(valuesFile)
	if err != nil {
		return err
	}
	var values map[string]interface{}
	// Helm's values come through sigs.k8s.io/yaml, i.e. JSON: every number is a float64.
	// Decoding the same way keeps Helm's quirks (eq with an int literal fails, %v of a
	// large number prints an exponent) visible here too.
	if err := json.Unmarshal(raw, &values); err != nil {
		return fmt.Errorf("values %s: %w", valuesFile, err)
	}

	set, names, err := parseTemplates(chartDir, chart.Name, strict)
	if err != nil {
		return err
	}

	out := output{Manifests: []manifest{}, ValuesPaths: valuesPaths(set)}
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") {
			continue // partials only hold defines
		}
		top := map[string]interface{}{
			"Values":  values,
			"Release": Release{Name: releaseName, Namespace: namespace, Service: "Helm", IsInstall: true, Revision: 1},
			"Chart":   chart,
			"Capabilities": Capabilities{
				KubeVersion: KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"},
				APIVersions: APIVersions{"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"},
			},
			"Files":    Files{root: chartDir},
			"Template": map[string]interface{}{"Name": name, "BasePath": chart.Name + "/templates"},
		}
		var buf bytes.Buffer
		if err := set.ExecuteTemplate(&buf, name, top); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
		// Helm's engine does the same replacement for missing values in non-strict mode.
		content := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(content) == "" {
			continue // a disabled feature renders nothing, and helm drops it
		}
		out.Manifests = append(out.Manifests, manifest{Template: name, Content: content})
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// parseTemplates parses every template file into one set named "<chart>/templates/<file>",
// the names Helm gives them (so include (print $.Template.BasePath "/x.yaml") works).
func parseTemplates(chartDir, chartName string, strict bool) (*template.Template, []string, error) {
	dir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	root := template.New(chartName)
	if strict {
		root.Option("missingkey=error")
	} else {
		root.Option("missingkey=zero")
	}
	root.Funcs(funcMap(root))
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".tpl") || n == "NOTES.txt") {
			continue
		}
		text, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, nil, err
		}
		name := chartName + "/templates/" + n
		if _, err := root.New(name).Parse(string(text)); err != nil {
			return nil, nil, fmt.Errorf("parse %s: %w", name, err)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("no templates in %s", dir)
	}
	sort.Strings(names)
	return root, names, nil
}

// readChart reads the scalar top-level keys of Chart.yaml that templates use.
func readChart(file string) (Chart, error) {
	f, err := os.Open(file)
	if err != nil {
		return Chart{}, err
	}
	defer f.Close()
	var c Chart
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == ' ' || line[0] == '#' || line[0] == '-' {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		switch key {
		case "name":
			c.Name = value
		case "version":
			c.Version = value
		case "appVersion":
			c.AppVersion = value
		}
	}
	if err := s.Err(); err != nil {
		return Chart{}, err
	}
	if c.Name == "" || c.Version == "" {
		return Chart{}, fmt.Errorf("%s: name and version are required", file)
	}
	return c, nil
}
