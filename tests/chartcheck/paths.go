package main

import (
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
)

// valuesPaths walks every parse tree (files and defines) and returns the .Values paths they
// reference, dotted and sorted. A render only evaluates the branches the given values
// enable; the parse tree holds all of them, so a typo in a disabled feature is found too.
//
// Found: .Values.a.b and $.Values.a.b anywhere; fields relative to a `with` on a values
// path; fields of a variable assigned a values path ($c := .Values.config); index
// .Values "a" "b". Not followed: fields of range elements and of dicts passed to include,
// whose shape the parse tree does not know.
func valuesPaths(set *template.Template) []string {
	found := map[string]bool{}
	for _, t := range set.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		w := walker{found: found, vars: map[string][]string{}}
		w.list(t.Tree.Root, scope{root: true})
	}
	out := make([]string, 0, len(found))
	for p := range found {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// scope is what dot denotes: the top-level object (root), a values path, or unknown.
type scope struct {
	root   bool
	values []string
}

type walker struct {
	found map[string]bool
	vars  map[string][]string
}

func (w *walker) record(p []string) {
	if len(p) > 0 {
		w.found[strings.Join(p, ".")] = true
	}
}

func (w *walker) list(l *parse.ListNode, dot scope) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		w.node(n, dot)
	}
}

func (w *walker) node(n parse.Node, dot scope) {
	switch x := n.(type) {
	case *parse.ActionNode:
		w.pipe(x.Pipe, dot)
	case *parse.IfNode:
		w.pipe(x.Pipe, dot)
		w.list(x.List, dot)
		w.list(x.ElseList, dot)
	case *parse.WithNode:
		w.pipe(x.Pipe, dot)
		inner := scope{}
		if p, ok := w.single(x.Pipe, dot); ok {
			inner = scope{values: p}
		}
		w.list(x.List, inner)
		w.list(x.ElseList, dot)
	case *parse.RangeNode:
		w.pipe(x.Pipe, dot)
		for _, v := range x.Pipe.Decl {
			delete(w.vars, v.Ident[0]) // range variables hold elements, not the ranged path
		}
		w.list(x.List, scope{}) // dot is an element of unknown shape
		w.list(x.ElseList, dot)
	case *parse.TemplateNode:
		w.pipe(x.Pipe, dot)
	case *parse.ListNode:
		w.list(x, dot)
	}
}

// pipe records every path in the pipeline and tracks variables declared by it.
func (w *walker) pipe(p *parse.PipeNode, dot scope) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		w.command(c, dot)
	}
	if len(p.Decl) == 0 {
		return
	}
	value, ok := w.single(p, dot)
	for _, v := range p.Decl {
		if ok && len(p.Decl) == 1 {
			w.vars[v.Ident[0]] = value
		} else {
			delete(w.vars, v.Ident[0])
		}
	}
}

func (w *walker) command(c *parse.CommandNode, dot scope) {
	// index .Values "a" "b" names a path too.
	if len(c.Args) >= 3 {
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
			if base, ok := w.path(c.Args[1], dot); ok {
				keys := append([]string{}, base...)
				all := true
				for _, a := range c.Args[2:] {
					s, ok := a.(*parse.StringNode)
					if !ok {
						all = false
						break
					}
					keys = append(keys, s.Text)
				}
				if all {
					w.record(keys)
				}
			}
		}
	}
	for _, a := range c.Args {
		if p, ok := w.path(a, dot); ok {
			w.record(p)
		}
		switch x := a.(type) {
		case *parse.PipeNode:
			w.pipe(x, dot)
		case *parse.ChainNode:
			if inner, ok := x.Node.(*parse.PipeNode); ok {
				w.pipe(inner, dot)
			}
		}
	}
}

// single is the values path a pipeline evaluates to when it is just one path.
func (w *walker) single(p *parse.PipeNode, dot scope) ([]string, bool) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return nil, false
	}
	return w.path(p.Cmds[0].Args[0], dot)
}

// path resolves a field, variable or chain to the values path it names, if it names one.
func (w *walker) path(n parse.Node, dot scope) ([]string, bool) {
	switch x := n.(type) {
	case *parse.FieldNode:
		if dot.values != nil {
			return join(dot.values, x.Ident), true
		}
		// In a define, dot is whatever the caller passed; by convention the top-level object.
		if x.Ident[0] == "Values" {
			return x.Ident[1:], true
		}
	case *parse.VariableNode:
		if x.Ident[0] == "$" && len(x.Ident) > 1 && x.Ident[1] == "Values" {
			return x.Ident[2:], true
		}
		if base, ok := w.vars[x.Ident[0]]; ok {
			return join(base, x.Ident[1:]), true
		}
	case *parse.DotNode:
		if dot.values != nil {
			return dot.values, true
		}
	case *parse.ChainNode:
		var base []string
		var ok bool
		if inner, isPipe := x.Node.(*parse.PipeNode); isPipe {
			base, ok = w.single(inner, dot)
		} else {
			base, ok = w.path(x.Node, dot)
		}
		if ok {
			return join(base, x.Field), true
		}
	}
	return nil, false
}

func join(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
