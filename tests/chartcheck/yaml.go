package main

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
)

// toYAML is Helm's toYaml: the value goes through JSON (sigs.k8s.io/yaml does the same, so
// structs and numbers come out alike) and is emitted in go-yaml v2's block style: sorted
// keys, two-space indents, sequences not indented under their key, no trailing newline.
// Strings that a YAML 1.1 reader could take for anything else are double-quoted.
func toYAML(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "" // Helm's toYaml also swallows marshal errors
	}
	var norm interface{}
	if err := json.Unmarshal(b, &norm); err != nil {
		return ""
	}
	if !isBlock(norm) {
		return yamlScalar(norm)
	}
	var sb strings.Builder
	writeBlock(&sb, norm, "")
	return strings.TrimSuffix(sb.String(), "\n")
}

// isBlock tells a non-empty map or list (written over lines) from what fits after "key: ".
func isBlock(v interface{}) bool {
	switch x := v.(type) {
	case map[string]interface{}:
		return len(x) > 0
	case []interface{}:
		return len(x) > 0
	}
	return false
}

func writeBlock(sb *strings.Builder, v interface{}, ind string) {
	switch x := v.(type) {
	case map[string]interface{}:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := x[k]
			key := yamlString(k)
			switch val.(type) {
			case map[string]interface{}:
				if isBlock(val) {
					sb.WriteString(ind + key + ":\n")
					writeBlock(sb, val, ind+"  ")
					continue
				}
			case []interface{}:
				if isBlock(val) {
					sb.WriteString(ind + key + ":\n")
					writeBlock(sb, val, ind)
					continue
				}
			}
			sb.WriteString(ind + key + ": " + yamlScalar(val) + "\n")
		}
	case []interface{}:
		for _, item := range x {
			if !isBlock(item) {
				sb.WriteString(ind + "- " + yamlScalar(item) + "\n")
				continue
			}
			// The item's first line shares the dash: render it one level in, then put
			// "- " where the first line's indent was.
			var inner strings.Builder
			writeBlock(&inner, item, ind+"  ")
			sb.WriteString(ind + "- " + strings.TrimPrefix(inner.String(), ind+"  "))
		}
	}
}

func yamlScalar(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e21 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return yamlString(x)
	case map[string]interface{}:
		return "{}"
	case []interface{}:
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// yamlString leaves a string plain only when no YAML 1.1 resolver could read it as
// something else (bool, null, number, timestamp) and it holds no indicator character.
func yamlString(s string) string {
	if plainSafe(s) {
		return s
	}
	b, _ := json.Marshal(s) // a JSON string is a valid YAML double-quoted scalar
	return string(b)
}

func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '/'
		if !ok {
			return false
		}
	}
	return true
}
