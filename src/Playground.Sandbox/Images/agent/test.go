package main

// Programs without main: like the official playground, a prog.go in package main that
// declares tests, fuzz targets or examples and no main function is built with `go test -c`
// and run with -test.v. The rules are upstream's (golang.org/x/playground, isTestProg).

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

func isTestProg(src string) bool {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "prog.go", src, parser.ParseComments)
	if err != nil || f.Name.Name != "main" {
		return false
	}
	hasTest := false
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fn.Name.Name
		switch {
		case name == "main":
			// A method named main does not stand in for the program's main.
			if fn.Recv == nil {
				return false
			}
		case name == "TestMain" && isTestFunc(fn):
			hasTest = true
		case (isTest(name, "Test") || isTest(name, "Fuzz")) && isTestFunc(fn):
			hasTest = true
		}
	}
	return hasTest || len(doc.Examples(f)) > 0
}

// isTestFunc: one parameter of type *T, *F or *M (or pkg.T, ...) and no results.
func isTestFunc(fn *ast.FuncDecl) bool {
	if fn.Type.Results != nil && len(fn.Type.Results.List) > 0 ||
		fn.Type.Params.List == nil || len(fn.Type.Params.List) != 1 || len(fn.Type.Params.List[0].Names) > 1 {
		return false
	}
	ptr, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	if name, ok := ptr.X.(*ast.Ident); ok && (name.Name == "T" || name.Name == "F" || name.Name == "M") {
		return true
	}
	sel, ok := ptr.X.(*ast.SelectorExpr)
	return ok && (sel.Sel.Name == "T" || sel.Sel.Name == "F" || sel.Sel.Name == "M")
}

// isTest: name is prefix followed by nothing or by a character that is not lower case
// (so Testimony is not a test).
func isTest(name, prefix string) bool {
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	if len(name) == len(prefix) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(name[len(prefix):])
	return !unicode.IsLower(r)
}
