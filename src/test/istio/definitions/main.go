// Command definitions prints what Istio defines for the annotations and the ProxyConfig that Meshwarden's
// IstioHygiene policy checks, read from the istio.io/api module this program is built against (one build per pinned
// istio.io/istio version, with that version's go.mod; see definitions.sh):
//
//	definitions extract ISTIO_MODULE_DIR > version.json   the definitions of this build's istio.io/api
//	definitions java A.json B.json ... > Generated.java     the Java source merging them, oldest version first
//
// The annotation keys come from the api module's own list (annotation.AllResourceAnnotations, generated from
// annotation/annotations.yaml), plus the keys that the istio.io/istio module's injection templates read
// (`annotation .ObjectMeta "key"`): the injector honours those too, defined or not. The labels come from
// label.AllResourceLabels, to recognise a label written as an annotation. The ProxyConfig fields come from the
// protobuf descriptor of istio.mesh.v1alpha1.ProxyConfig, walked through every message it reaches.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"istio.io/api/annotation"
	"istio.io/api/label"
	meshconfig "istio.io/api/mesh/v1alpha1"
)

type Annotation struct {
	Name       string   `json:"name"`
	Deprecated bool     `json:"deprecated,omitempty"`
	Resources  []string `json:"resources"`
	// Template: not in the api module's list, but read by the injection templates.
	Template bool `json:"template,omitempty"`
}

type Label struct {
	Name      string   `json:"name"`
	Resources []string `json:"resources"`
}

type Field struct {
	JSON  string `json:"json"`
	Proto string `json:"proto"`
	Type  string `json:"type"`
}

type Message struct {
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

type Definitions struct {
	APIVersion   string       `json:"apiVersion"`
	IstioVersion string       `json:"istioVersion"`
	Annotations  []Annotation `json:"annotations"`
	Labels       []Label      `json:"labels"`
	Messages     []Message    `json:"messages"`
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "extract" {
		check(json.NewEncoder(os.Stdout).Encode(extract(os.Args[2])))
		return
	}
	if len(os.Args) >= 3 && os.Args[1] == "java" {
		var all []Definitions
		for _, f := range os.Args[2:] {
			b, err := os.ReadFile(f)
			check(err)
			var d Definitions
			check(json.Unmarshal(b, &d))
			all = append(all, d)
		}
		fmt.Print(java(all))
		return
	}
	fmt.Fprintln(os.Stderr, "usage: definitions extract ISTIO_MODULE_DIR | java VERSION.json...")
	os.Exit(2)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "definitions:", err)
		os.Exit(1)
	}
}

func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		check(fmt.Errorf("no build info"))
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	check(fmt.Errorf("%s is not a dependency of this build", path))
	return ""
}

var templateAnnotation = regexp.MustCompile("annotation \\.ObjectMeta `([^`]+)`")

func extract(istioDir string) Definitions {
	d := Definitions{APIVersion: moduleVersion("istio.io/api"), IstioVersion: filepath.Base(istioDir)}
	if i := strings.LastIndex(d.IstioVersion, "@"); i >= 0 {
		d.IstioVersion = d.IstioVersion[i+1:]
	}
	defined := map[string]bool{}
	for _, a := range annotation.AllResourceAnnotations() {
		defined[a.Name] = true
		d.Annotations = append(d.Annotations, Annotation{Name: a.Name, Deprecated: a.Deprecated,
			Resources: resourceNames(a.Resources)})
	}
	templates, err := filepath.Glob(filepath.Join(istioDir, "manifests/charts/istio-control/istio-discovery/files/*.yaml"))
	check(err)
	if len(templates) == 0 {
		check(fmt.Errorf("no injection templates under %s", istioDir))
	}
	for _, t := range templates {
		b, err := os.ReadFile(t)
		check(err)
		for _, m := range templateAnnotation.FindAllStringSubmatch(string(b), -1) {
			if !defined[m[1]] {
				defined[m[1]] = true
				d.Annotations = append(d.Annotations, Annotation{Name: m[1], Resources: []string{"Pod"}, Template: true})
			}
		}
	}
	sort.Slice(d.Annotations, func(i, j int) bool { return d.Annotations[i].Name < d.Annotations[j].Name })
	for _, l := range label.AllResourceLabels() {
		var rs []string
		for _, r := range l.Resources {
			rs = append(rs, r.String())
		}
		d.Labels = append(d.Labels, Label{Name: l.Name, Resources: rs})
	}
	sort.Slice(d.Labels, func(i, j int) bool { return d.Labels[i].Name < d.Labels[j].Name })
	seen := map[protoreflect.FullName]bool{}
	walk((&meshconfig.ProxyConfig{}).ProtoReflect().Descriptor(), seen, &d.Messages)
	return d
}

func resourceNames(rs []annotation.ResourceTypes) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// Well-known types as their JSON form (jsonpb: wrappers are their bare value, a Duration a Go duration string).
var wellKnown = map[protoreflect.FullName]string{
	"google.protobuf.Duration":    "duration",
	"google.protobuf.Timestamp":   "timestamp",
	"google.protobuf.BoolValue":   "bool",
	"google.protobuf.StringValue": "string",
	"google.protobuf.BytesValue":  "bytes",
	"google.protobuf.Int32Value":  "int32",
	"google.protobuf.UInt32Value": "uint32",
	"google.protobuf.Int64Value":  "int64",
	"google.protobuf.UInt64Value": "uint64",
	"google.protobuf.FloatValue":  "double",
	"google.protobuf.DoubleValue": "double",
	"google.protobuf.Struct":      "struct",
	"google.protobuf.Value":       "value",
	"google.protobuf.ListValue":   "list",
	"google.protobuf.Any":         "any",
	"google.protobuf.Empty":       "struct",
}

func walk(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool, out *[]Message) {
	if seen[md.FullName()] {
		return
	}
	seen[md.FullName()] = true
	m := Message{Name: string(md.FullName())}
	var nested []protoreflect.MessageDescriptor
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		var t string
		if fd.IsMap() {
			t = "map:" + typeOf(fd.MapValue(), &nested)
		} else if fd.IsList() {
			t = "list:" + typeOf(fd, &nested)
		} else {
			t = typeOf(fd, &nested)
		}
		m.Fields = append(m.Fields, Field{JSON: fd.JSONName(), Proto: string(fd.Name()), Type: t})
	}
	*out = append(*out, m)
	for _, n := range nested {
		walk(n, seen, out)
	}
}

func typeOf(fd protoreflect.FieldDescriptor, nested *[]protoreflect.MessageDescriptor) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return "bool"
	case protoreflect.StringKind:
		return "string"
	case protoreflect.BytesKind:
		return "bytes"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return "int32"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return "uint32"
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return "int64"
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "uint64"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return "double"
	case protoreflect.EnumKind:
		var names []string
		values := fd.Enum().Values()
		for i := 0; i < values.Len(); i++ {
			names = append(names, string(values.Get(i).Name()))
		}
		return "enum:" + strings.Join(names, "|")
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if w, ok := wellKnown[fd.Message().FullName()]; ok {
			return w
		}
		*nested = append(*nested, fd.Message())
		return "message:" + string(fd.Message().FullName())
	}
	check(fmt.Errorf("field %s has an unexpected kind %v", fd.FullName(), fd.Kind()))
	return ""
}

// java merges the versions' definitions (oldest first) into the generated Java source: what any pinned version
// defines is known; a key or field missing from some versions says in which it is defined.
func java(all []Definitions) string {
	var versions []string
	for _, d := range all {
		versions = append(versions, d.APIVersion)
	}
	in := func(present []bool) string {
		var vs []string
		for i, p := range present {
			if p {
				vs = append(vs, versions[i])
			}
		}
		if len(vs) == len(versions) {
			return ""
		}
		return " in=" + strings.Join(vs, ",")
	}

	var b strings.Builder
	b.WriteString("// Code generated by src/test/istio/definitions.sh; DO NOT EDIT.\n")
	b.WriteString("// From the istio.io/api module at the versions the pinned istio.io/istio modules require:\n")
	for _, d := range all {
		fmt.Fprintf(&b, "//   istio.io/api %s (istio.io/istio %s)\n", d.APIVersion, d.IstioVersion)
	}
	b.WriteString("// Regenerate: bash src/test/istio/definitions.sh generate; check: bash src/test/istio/definitions.sh check\n")
	b.WriteString("package io.meshwarden.policies.istiohygiene;\n\nimport java.util.List;\n\n")
	b.WriteString("/** What Istio defines, as text that {@link IstioDefinitions} reads; see the header for where it comes from. */\n")
	b.WriteString("final class IstioApi {\n")
	b.WriteString("    static final List<String> API_VERSIONS = List.of(")
	for i, v := range versions {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", v)
	}
	b.WriteString(");\n\n")

	// Annotations: the newest version that defines a key decides its resources and deprecation.
	type ann struct {
		a       Annotation
		present []bool
	}
	anns := map[string]*ann{}
	for i, d := range all {
		for _, a := range d.Annotations {
			x := anns[a.Name]
			if x == nil {
				x = &ann{present: make([]bool, len(all))}
				anns[a.Name] = x
			}
			x.a = a
			x.present[i] = true
		}
	}
	b.WriteString("    /** One a line: key, resources, then flags: deprecated, template (only the injection templates read it), in=versions. */\n")
	b.WriteString("    static final String ANNOTATIONS = \"\"\"\n")
	for _, name := range sortedKeys(anns) {
		x := anns[name]
		fmt.Fprintf(&b, "            %s %s", name, strings.Join(x.a.Resources, ","))
		if x.a.Deprecated {
			b.WriteString(" deprecated")
		}
		if x.a.Template {
			b.WriteString(" template")
		}
		b.WriteString(in(x.present) + "\n")
	}
	b.WriteString("            \"\"\";\n\n")

	type lab struct {
		l       Label
		present []bool
	}
	labs := map[string]*lab{}
	for i, d := range all {
		for _, l := range d.Labels {
			x := labs[l.Name]
			if x == nil {
				x = &lab{present: make([]bool, len(all))}
				labs[l.Name] = x
			}
			x.l = l
			x.present[i] = true
		}
	}
	b.WriteString("    /** One a line: key, resources, in=versions. */\n")
	b.WriteString("    static final String LABELS = \"\"\"\n")
	for _, name := range sortedKeys(labs) {
		x := labs[name]
		fmt.Fprintf(&b, "            %s %s%s\n", name, strings.Join(x.l.Resources, ","), in(x.present))
	}
	b.WriteString("            \"\"\";\n\n")

	// Messages in the order of the newest version's walk (ProxyConfig first), then any only older ones had.
	type fld struct {
		f       Field
		present []bool
	}
	type msg struct {
		fields  map[string]*fld
		order   []string
		present []bool
	}
	msgs := map[string]*msg{}
	var order []string
	for i := len(all) - 1; i >= 0; i-- {
		for _, m := range all[i].Messages {
			x := msgs[m.Name]
			if x == nil {
				x = &msg{fields: map[string]*fld{}, present: make([]bool, len(all))}
				msgs[m.Name] = x
				order = append(order, m.Name)
			}
			x.present[i] = true
			for _, f := range m.Fields {
				y := x.fields[f.JSON]
				if y == nil {
					y = &fld{f: f, present: make([]bool, len(all))}
					x.fields[f.JSON] = y
					x.order = append(x.order, f.JSON)
				}
				y.present[i] = true
			}
		}
	}
	b.WriteString("    /** \"message NAME\", then one field a line: JSON name, proto name, type, in=versions. */\n")
	b.WriteString("    static final String PROXY_CONFIG = \"\"\"\n")
	for _, name := range order {
		x := msgs[name]
		fmt.Fprintf(&b, "            message %s%s\n", name, in(x.present))
		for _, f := range x.order {
			y := x.fields[f]
			fmt.Fprintf(&b, "              %s %s %s%s\n", y.f.JSON, y.f.Proto, y.f.Type, in(y.present))
		}
	}
	b.WriteString("            \"\"\";\n\n    private IstioApi() {\n    }\n}\n")
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
