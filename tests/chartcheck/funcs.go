package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"
)

// maxIncludeDepth stops a template that includes itself, as Helm's engine does (it allows 1000).
const maxIncludeDepth = 1000

// funcMap holds the Helm and Sprig functions this checker implements, with their Sprig
// argument order and semantics. Only these exist: a chart calling anything else fails to
// parse, which is the point of the check. Add a function here only with its real behaviour.
func funcMap(root *template.Template) template.FuncMap {
	depth := 0
	include := func(name string, data interface{}) (string, error) {
		if depth >= maxIncludeDepth {
			return "", fmt.Errorf("include %q: nesting deeper than %d", name, maxIncludeDepth)
		}
		depth++
		defer func() { depth-- }()
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	tpl := func(text string, data interface{}) (string, error) {
		// Helm parses the string in a copy of the chart's template set, so it may call defines.
		clone, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		return buf.String(), nil
	}
	return template.FuncMap{
		// Helm's own.
		"include":  include,
		"tpl":      tpl,
		"required": required,
		"toYaml":   toYAML,
		"toJson":   toJSON,
		"fail":     func(msg string) (string, error) { return "", errors.New(msg) },

		// Sprig.
		"toPrettyJson": toPrettyJSON,
		"default":      defaultValue,
		"empty":        empty,
		"ternary":      ternary,
		"quote": func(s ...interface{}) string {
			return quoteAll(s, func(x string) string { return fmt.Sprintf("%q", x) })
		},
		"squote":     func(s ...interface{}) string { return quoteAll(s, func(x string) string { return "'" + x + "'" }) },
		"indent":     indent,
		"nindent":    func(spaces int, s string) string { return "\n" + indent(spaces, s) },
		"trunc":      trunc,
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
		"trim":       strings.TrimSpace,
		"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"lower":      strings.ToLower,
		"upper":      strings.ToUpper,
		"contains":   func(substr, s string) bool { return strings.Contains(s, substr) },
		"hasPrefix":  func(prefix, s string) bool { return strings.HasPrefix(s, prefix) },
		"hasSuffix":  func(suffix, s string) bool { return strings.HasSuffix(s, suffix) },
		"b64enc":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"sha256sum":  func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) },
		"toString":   strval,
		"int":        toInt,
		"dict":       dict,
		"list":       func(v ...interface{}) []interface{} { return v },
		"hasKey":     func(d map[string]interface{}, key string) bool { _, ok := d[key]; return ok },
		"set":        func(d map[string]interface{}, key string, v interface{}) map[string]interface{} { d[key] = v; return d },
		"merge": func(dst map[string]interface{}, srcs ...map[string]interface{}) interface{} {
			return mergeAll(dst, srcs, false)
		},
		"mergeOverwrite": func(dst map[string]interface{}, srcs ...map[string]interface{}) interface{} {
			return mergeAll(dst, srcs, true)
		},
		"deepCopy": deepCopy,
		"kindIs":   func(kind string, v interface{}) bool { return reflect.ValueOf(v).Kind().String() == kind },
	}
}

// required is Helm's: nil, or an empty string, fails the render with the message.
func required(msg string, v interface{}) (interface{}, error) {
	if v == nil {
		return nil, errors.New(msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return nil, errors.New(msg)
	}
	return v, nil
}

func ternary(vt, vf interface{}, v bool) interface{} {
	if v {
		return vt
	}
	return vf
}

// defaultValue is Sprig's "default d given": given unless it is empty.
func defaultValue(d interface{}, given ...interface{}) interface{} {
	if len(given) == 0 || empty(given[0]) {
		return d
	}
	return given[0]
}

// empty is Sprig's notion: nil, zero numbers, false, and empty strings, maps and lists.
func empty(given interface{}) bool {
	g := reflect.ValueOf(given)
	if !g.IsValid() {
		return true
	}
	switch g.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return g.Len() == 0
	case reflect.Bool:
		return !g.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return g.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return g.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return g.Float() == 0
	case reflect.Interface, reflect.Ptr:
		return g.IsNil()
	case reflect.Struct:
		return false
	default:
		return g.IsZero()
	}
}

func strval(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprintf("%v", x)
	}
}

func quoteAll(items []interface{}, q func(string) string) string {
	out := make([]string, 0, len(items))
	for _, s := range items {
		if s != nil {
			out = append(out, q(strval(s)))
		}
	}
	return strings.Join(out, " ")
}

func indent(spaces int, s string) string {
	pad := strings.Repeat(" ", spaces)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func trunc(c int, s string) string {
	if c < 0 && len(s)+c > 0 {
		return s[len(s)+c:]
	}
	if c >= 0 && len(s) > c {
		return s[:c]
	}
	return s
}

// toInt is Sprig's int (spf13/cast): values arrive as float64, so templates compare with it.
func toInt(v interface{}) (int, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		return int(x), nil
	case string:
		s := x
		if i := strings.Index(s, "."); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
			s = s[:i]
		}
		n, err := strconv.ParseInt(s, 0, 0)
		if err != nil {
			return 0, fmt.Errorf("int %q: %w", x, err)
		}
		return int(n), nil
	default:
		return 0, fmt.Errorf("int: unable to convert %T", v)
	}
}

func dict(v ...interface{}) map[string]interface{} {
	d := map[string]interface{}{}
	for i := 0; i < len(v); i += 2 {
		key := strval(v[i])
		if i+1 >= len(v) {
			d[key] = ""
			break
		}
		d[key] = v[i+1]
	}
	return d
}

// mergeAll is Sprig's merge (dst wins; src fills what dst lacks or has empty) and
// mergeOverwrite (a non-empty src wins), both deep over maps, as mergo does for them.
func mergeAll(dst map[string]interface{}, srcs []map[string]interface{}, overwrite bool) map[string]interface{} {
	for _, src := range srcs {
		for k, sv := range src {
			dv, ok := dst[k]
			dm, dIsMap := dv.(map[string]interface{})
			sm, sIsMap := sv.(map[string]interface{})
			switch {
			case !ok:
				dst[k] = sv
			case dIsMap && sIsMap:
				dst[k] = mergeAll(dm, []map[string]interface{}{sm}, overwrite)
			case overwrite && !empty(sv):
				dst[k] = sv
			case !overwrite && empty(dv):
				dst[k] = sv
			}
		}
	}
	return dst
}

func deepCopy(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		c := make(map[string]interface{}, len(x))
		for k, e := range x {
			c[k] = deepCopy(e)
		}
		return c
	case []interface{}:
		c := make([]interface{}, len(x))
		for i, e := range x {
			c[i] = deepCopy(e)
		}
		return c
	default:
		return v
	}
}

// toJSON and toPrettyJSON are Helm's/Sprig's: on a marshal error they give "", not an error.
func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func toPrettyJSON(v interface{}) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}
