package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"text/template"
)

// The expectations below are Sprig's and Helm's documented results; the checker is only as
// good as its functions' likeness to theirs.

func render(t *testing.T, text string, data interface{}) string {
	t.Helper()
	root := template.New("t")
	root.Funcs(funcMap(root))
	if _, err := root.Parse(text); err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	var buf bytes.Buffer
	if err := root.Execute(&buf, data); err != nil {
		t.Fatalf("execute %q: %v", text, err)
	}
	return buf.String()
}

func values(t *testing.T, s string) map[string]interface{} {
	t.Helper()
	var v map[string]interface{}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFunctions_SprigExamples_GiveSprigResults(t *testing.T) {
	v := values(t, `{"zero": 0, "empty": "", "no": false, "list": [], "map": {}, "n": 3, "s": "bar"}`)
	cases := []struct{ text, want string }{
		{`{{ trunc 5 "hello world" }}`, "hello"},
		{`{{ trunc -5 "hello world" }}`, "world"},
		{`{{ trunc 63 "short" }}`, "short"},
		{`{{ "foo-" | trimSuffix "-" }}`, "foo"},
		{`{{ "-foo" | trimPrefix "-" }}`, "foo"},
		{`{{ "a+b+c" | replace "+" "_" }}`, "a_b_c"},
		{`{{ contains "cat" "catch" }}`, "true"},
		{`{{ default "foo" .empty }}`, "foo"},
		{`{{ default "foo" .zero }}`, "foo"},
		{`{{ default "foo" .no }}`, "foo"},
		{`{{ default "foo" .list }}`, "foo"},
		{`{{ default "foo" .s }}`, "bar"},
		{`{{ default "foo" .n }}`, "3"},
		{`{{ empty .map }} {{ empty .n }}`, "true false"},
		{`{{ quote "a" nil 1 }}`, `"a" "1"`},
		{`{{ squote "a" }}`, `'a'`},
		{`{{ "x\ny" | indent 2 }}`, "  x\n  y"},
		{`{{ "x" | nindent 2 }}`, "\n  x"},
		{`{{ upper "ab" }}{{ lower "CD" }}`, "ABcd"},
		{`{{ b64enc "hello" }}`, "aGVsbG8="},
		{`{{ sha256sum "hello" }}`, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
		{`{{ ternary "yes" "no" true }}`, "yes"},
		{`{{ kindIs "map" .map }} {{ kindIs "slice" .list }} {{ kindIs "float64" .n }}`, "true true true"},
		{`{{ hasKey .map "x" }} {{ hasKey (dict "x" 1) "x" }}`, "false true"},
		{`{{ len (list 1 2 3) }}`, "3"},
		{`{{ int "12.0" }} {{ int 3.9 }}`, "12 3"},
		{`{{ toJson (dict "b" 2 "a" (list 1 "x")) }}`, `{"a":[1,"x"],"b":2}`},
		{`{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ toJson $d }}`, `{"a":1,"b":2}`},
		{`{{ tpl "{{ .s }}!" . }}`, "bar!"},
	}
	for _, c := range cases {
		if got := render(t, c.text, v); got != c.want {
			t.Errorf("%s = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestMerge_DeepMaps_DstOrSrcWinsAsSprig(t *testing.T) {
	dst := values(t, `{"a": {"x": 1, "y": ""}, "b": 1}`)
	src := values(t, `{"a": {"x": 2, "y": "filled", "z": 3}, "b": 2, "c": 4}`)
	got := mergeAll(deepCopy(dst).(map[string]interface{}), []map[string]interface{}{src}, false)
	want := values(t, `{"a": {"x": 1, "y": "filled", "z": 3}, "b": 1, "c": 4}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merge = %v, want %v", got, want)
	}

	got = mergeAll(deepCopy(dst).(map[string]interface{}), []map[string]interface{}{src}, true)
	want = values(t, `{"a": {"x": 2, "y": "filled", "z": 3}, "b": 2, "c": 4}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeOverwrite = %v, want %v", got, want)
	}
}

func TestRequired_Empty_FailsWithMessage(t *testing.T) {
	root := template.New("t")
	root.Funcs(funcMap(root))
	template.Must(root.Parse(`{{ required "x is required" .x }}`))
	err := root.Execute(&bytes.Buffer{}, map[string]interface{}{"x": ""})
	if err == nil || !strings.Contains(err.Error(), "x is required") {
		t.Fatalf("err = %v", err)
	}
}

func TestToYAML_NestedValues_GoYamlBlockStyle(t *testing.T) {
	v := values(t, `{
		"b": [{"name": "ALL", "ports": [80, 443]}, "x"],
		"a": {"memory": 268435456, "cpu": 0.5, "on": true, "none": null, "empty": {}, "list": []},
		"s": ["yes", "1.0", "plain", "a: b"]
	}`)
	want := strings.Join([]string{
		"a:",
		"  cpu: 0.5",
		"  empty: {}",
		"  list: []",
		"  memory: 268435456",
		"  none: null",
		`  "on": true`,
		"b:",
		"- name: ALL",
		"  ports:",
		"  - 80",
		"  - 443",
		"- x",
		"s:",
		`- "yes"`,
		`- "1.0"`,
		"- plain",
		`- "a: b"`,
	}, "\n")
	if got := toYAML(v); got != want {
		t.Errorf("toYAML =\n%s\nwant\n%s", got, want)
	}
	if got := toYAML("just text"); got != `"just text"` {
		t.Errorf("toYAML scalar = %q", got)
	}
}

func TestPrint_LargeNumber_HasHelmsExponent(t *testing.T) {
	// Helm's values are float64: printing one of a million or more directly gives an exponent.
	// Charts must go through toJson/int for such numbers; the checker shows the same output.
	if got := render(t, `{{ .m }}`, values(t, `{"m": 268435456}`)); got != "2.68435456e+08" {
		t.Errorf("got %q", got)
	}
}

func TestValuesPaths_WithVariablesAndIndex_AreFound(t *testing.T) {
	root := template.New("t")
	root.Funcs(funcMap(root))
	template.Must(root.New("a.yaml").Parse(`
{{- $c := .Values.config }}{{ $c.sandbox.cpus }}
{{- with .Values.web.image }}{{ .tag }}{{ end }}
{{- range .Values.ingress.hosts }}{{ .host }}{{ end }}
{{- index .Values "proxy" "ports" }}
{{- if false }}{{ $.Values.never.rendered }}{{ end }}`))
	got := valuesPaths(root)
	want := []string{"config", "config.sandbox.cpus", "ingress.hosts", "never.rendered", "proxy.ports", "web.image", "web.image.tag"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %v\nwant %v", got, want)
	}
}
