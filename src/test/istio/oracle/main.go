// Command oracle answers "what does Istio's sidecar injector do to this pod?" with Istio's own code, for
// Meshwarden's differential tests. It is built against a pinned istio.io/istio module version (see ../istio.sh
// and ../versions/<version>/go.mod); nothing of Istio's logic is re-implemented here.
//
// Input: JSON lines on stdin, one case each. Output: one JSON line per case on stdout, in input order.
// See ../README.md for the fields.
//
// What runs, per case, is what runs in a cluster for a pod CREATE:
//  1. (only when the case carries "webhooks", the MutatingWebhookConfigurations rendered from the chart)
//     the API server's webhook predicates from k8s.io/apiserver decide which webhook is called: rules,
//     namespaceSelector against the namespace's labels (plus the kubernetes.io/metadata.name label the API
//     server puts on every namespace), objectSelector against the pod's labels;
//  2. Istio's injection webhook, inject.NewWebhook, fed the injector ConfigMap's config and values, the mesh
//     config (with istiod's defaults applied, mesh.ApplyMeshConfigDefaults), a fake Kubernetes client holding
//     the Nodes and the Namespace (so DetectNativeSidecar sees the nodes' kubelet versions), serving an
//     AdmissionReview over its HTTP handler at the webhook's path;
//  3. the JSON patch it answers applied to the pod, and the resulting istio-proxy container read back.
//
// Around it, the API server's Pod defaulting (k8s.io/kubernetes/pkg/apis/core/v1, the Kubernetes release matching
// Istio's k8s.io/api) runs on the pod before admission and again after the patch, as the API server does.
//
// Istio reads its feature flags (ENABLE_NATIVE_SIDECARS, ...) from the environment once, at package init. So the
// process reading stdin never runs Istio code: it re-executes itself as a worker per distinct "env" of the
// cases, with exactly that environment, and forwards each case to its worker.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime/debug"
	"sort"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/webhook"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/namespace"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/object"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules"
	"k8s.io/apiserver/pkg/authentication/user"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	k8sdefaults "k8s.io/kubernetes/pkg/apis/core/v1"
	"sigs.k8s.io/yaml"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/multicluster"
	istiolog "istio.io/istio/pkg/log"
)

type nodeIn struct {
	Name           string            `json:"name"`
	KubeletVersion string            `json:"kubeletVersion"`
	Labels         map[string]string `json:"labels,omitempty"`
}

type caseIn struct {
	ID  string          `json:"id"`
	Pod json.RawMessage `json:"pod"`
	// Namespace of the pod; default: the pod's metadata.namespace, else "default".
	Namespace       string            `json:"namespace"`
	NamespaceLabels map[string]string `json:"namespaceLabels"`
	InjectorConfig  string            `json:"injectorConfig"`
	InjectorValues  string            `json:"injectorValues"`
	MeshConfig      string            `json:"meshConfig"`
	// Optional: the MutatingWebhookConfiguration(s) as rendered by the chart (YAML, several documents allowed).
	// Without it the API server's selection is skipped and the pod is assumed sent to the injector.
	Webhooks string `json:"webhooks"`
	// The revision this istiod serves; default: the REVISION variable of env, as istiod reads it.
	Revision string   `json:"revision"`
	Nodes    []nodeIn `json:"nodes"`
	// A node the pod is already bound to (spec.nodeName); "" = not scheduled yet (the usual case).
	NodeName string `json:"nodeName"`
	// istiod's environment for this case (e.g. ENABLE_NATIVE_SIDECARS); see the render output's istiodEnv.
	Env map[string]string `json:"env"`
	// Also return the whole injected pod.
	ReturnPod bool `json:"returnPod"`
}

type result struct {
	ID       string `json:"id"`
	Injected bool   `json:"injected"`
	// Where istio-proxy is in the injected pod: "containers", "initContainers", or "" when not injected.
	ProxyIn       string            `json:"proxyIn"`
	Requests      map[string]string `json:"requests"`
	Limits        map[string]string `json:"limits"`
	NativeSidecar bool              `json:"nativeSidecar"`
	// tracing.sampling of the proxy config the injector computed (the istio-proxy container's PROXY_CONFIG env),
	// null when that config leaves it unset.
	ProxyConfigTracingSampling *float64 `json:"proxyConfigTracingSampling"`
	// Only with "webhooks": whether the API server calls an Istio injection webhook for the pod, and which
	// (all that match, in order; the first one's path is used).
	Selected        *bool    `json:"selected,omitempty"`
	WebhooksMatched []string `json:"webhooksMatched,omitempty"`
	// The injector's answer when it refused the pod, or an oracle problem (bad input).
	Error string          `json:"error"`
	Pod   json.RawMessage `json:"pod,omitempty"`
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--worker":
			worker()
			return
		case "--version":
			fmt.Println(istioVersion())
			return
		case "--extract":
			// helm template output of istio-discovery on stdin; the oracle's inputs as one JSON object on stdout.
			ns := "istio-system"
			if len(os.Args) > 2 {
				ns = os.Args[2]
			}
			if err := extract(os.Stdin, os.Stdout, ns); err != nil {
				fmt.Fprintf(os.Stderr, "oracle --extract: %v\n", err)
				os.Exit(1)
			}
			return
		default:
			fmt.Fprintf(os.Stderr, "usage: %s < cases.jsonl > results.jsonl\n       %s --extract [NAMESPACE] < rendered.yaml\n       %s --version\n", os.Args[0], os.Args[0], os.Args[0])
			os.Exit(2)
		}
	}
	dispatch()
}

func istioVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "istio.io/istio" {
				return d.Version
			}
		}
	}
	return "unknown"
}

// ------------------------------------------------------------------------------------------------ dispatcher

type workerProc struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	answers *os.File
	out     *bufio.Reader
}

// stop closes the worker's stdin, which ends it, and waits for it.
func (w *workerProc) stop() {
	_ = w.in.Close()
	_ = w.cmd.Wait()
	_ = w.answers.Close()
}

// The only variables a worker inherits; everything else in its environment comes from the case, so that a
// variable set where the oracle runs (say ENABLE_NATIVE_SIDECARS) cannot change the answers.
var inherited = []string{"PATH", "HOME", "TMPDIR", "LANG", "GOMAXPROCS", "GODEBUG"}

func envKey(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + env[k] + "\x00")
	}
	return b.String()
}

func startWorker(env map[string]string) (*workerProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "--worker")
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			if _, overridden := env[k]; !overridden {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Answers come back on their own pipe (the worker's fd 3): Istio logs to stdout during package init, before
	// the worker can configure logging (e.g. "Unknown value for ENABLE_NATIVE_SIDECARS"), so the worker's stdout
	// and stderr both go to our stderr.
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	answers, answersW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{answersW}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	err = cmd.Start()
	answersW.Close()
	if err != nil {
		answers.Close()
		return nil, err
	}
	return &workerProc{cmd: cmd, in: in, answers: answers, out: bufio.NewReaderSize(answers, 1<<20)}, nil
}

func dispatch() {
	workers := map[string]*workerProc{}
	defer func() {
		for _, w := range workers {
			w.stop()
		}
	}()
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			out.Write(dispatchOne(workers, bytes.TrimSpace(line)))
			out.WriteByte('\n')
			out.Flush()
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(os.Stderr, "oracle: reading stdin: %v\n", err)
				os.Exit(1)
			}
			return
		}
	}
}

func dispatchOne(workers map[string]*workerProc, line []byte) []byte {
	var head struct {
		ID  string            `json:"id"`
		Env map[string]string `json:"env"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return mustJSON(result{ID: head.ID, Error: "oracle: invalid case: " + err.Error()})
	}
	key := envKey(head.Env)
	w := workers[key]
	if w == nil {
		var err error
		if w, err = startWorker(head.Env); err != nil {
			return mustJSON(result{ID: head.ID, Error: "oracle: starting worker: " + err.Error()})
		}
		workers[key] = w
	}
	reply, err := func() ([]byte, error) {
		if _, err := w.in.Write(append(line, '\n')); err != nil {
			return nil, err
		}
		return w.out.ReadBytes('\n')
	}()
	if err != nil {
		// The worker died (a panic in Istio code, say): report it on this case and start afresh on the next.
		w.stop()
		delete(workers, key)
		return mustJSON(result{ID: head.ID, Error: "oracle: worker failed: " + err.Error()})
	}
	return bytes.TrimRight(reply, "\n")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ------------------------------------------------------------------------------------------------ worker

func worker() {
	// Istio logs every injection at info level; keep warnings and errors (on stderr).
	opts := istiolog.DefaultOptions()
	opts.SetDefaultOutputLevel(istiolog.OverrideScopeName, istiolog.WarnLevel)
	opts.OutputPaths = []string{"stderr"}
	if err := istiolog.Configure(opts); err != nil {
		fmt.Fprintf(os.Stderr, "oracle: configuring logs: %v\n", err)
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	answers := os.NewFile(3, "answers") // see startWorker
	if _, err := answers.Stat(); err != nil {
		fmt.Fprintln(os.Stderr, "oracle --worker: no answer pipe on fd 3; run the oracle without --worker")
		os.Exit(2)
	}
	out := bufio.NewWriter(answers)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var c caseIn
			var r result
			if jerr := json.Unmarshal(line, &c); jerr != nil {
				r = result{Error: "oracle: invalid case: " + jerr.Error()}
			} else {
				r = runCase(c)
			}
			if r.Requests == nil {
				r.Requests = map[string]string{}
			}
			if r.Limits == nil {
				r.Limits = map[string]string{}
			}
			out.Write(mustJSON(r))
			out.WriteByte('\n')
			out.Flush()
		}
		if err != nil {
			return
		}
	}
}

func runCase(c caseIn) (r result) {
	r.ID = c.ID
	defer func() {
		if p := recover(); p != nil {
			r = result{ID: c.ID, Error: fmt.Sprintf("oracle: panic: %v\n%s", p, debug.Stack())}
		}
	}()

	// The pod as the API server hands it to admission: namespace and node filled in.
	var pod map[string]any
	if err := json.Unmarshal(c.Pod, &pod); err != nil || pod == nil {
		r.Error = fmt.Sprintf("oracle: invalid pod: %v", err)
		return r
	}
	meta, _ := pod["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		pod["metadata"] = meta
	}
	ns := c.Namespace
	if ns == "" {
		ns, _ = meta["namespace"].(string)
	}
	if ns == "" {
		ns = "default"
	}
	meta["namespace"] = ns
	pod["apiVersion"], pod["kind"] = "v1", "Pod"
	if c.NodeName != "" {
		spec, _ := pod["spec"].(map[string]any)
		if spec == nil {
			spec = map[string]any{}
			pod["spec"] = spec
		}
		spec["nodeName"] = c.NodeName
	}
	var typed corev1.Pod
	if err := json.Unmarshal(mustJSON(pod), &typed); err != nil {
		r.Error = fmt.Sprintf("oracle: invalid pod: %v", err)
		return r
	}
	// The API server defaults a Pod when it decodes it, before admission: so a container with limits but no
	// requests (a declared istio-proxy, say) reaches the injector with requests equal to its limits.
	k8sdefaults.SetObjectDefaults_Pod(&typed)
	podJSON := mustJSON(&typed)
	// The API server labels every namespace with its name.
	nsLabels := map[string]string{}
	for k, v := range c.NamespaceLabels {
		nsLabels[k] = v
	}
	nsLabels["kubernetes.io/metadata.name"] = ns
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: nsLabels}}

	path := "/inject"
	if strings.TrimSpace(c.Webhooks) != "" {
		matched, firstPath, err := selectWebhooks(c.Webhooks, &typed, nsObj)
		if err != nil {
			r.Error = "oracle: webhooks: " + err.Error()
			return r
		}
		selected := len(matched) > 0
		r.Selected = &selected
		r.WebhooksMatched = matched
		if !selected {
			return r
		}
		path = firstPath
	}

	patched, err := serveWebhook(c, podJSON, &typed, nsObj, path)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if patched == nil {
		return r // the injector let the pod through unchanged (injection not required)
	}
	var final corev1.Pod
	if err := json.Unmarshal(patched, &final); err != nil {
		r.Error = "oracle: patched pod: " + err.Error()
		return r
	}
	// ... and defaults it again after each mutating webhook (k8s.io/apiserver's mutating dispatcher): an injected
	// istio-proxy with only a limit (say sidecar.istio.io/proxyCPULimit alone) gets the same request.
	k8sdefaults.SetObjectDefaults_Pod(&final)
	if c.ReturnPod {
		r.Pod = mustJSON(&final)
	}
	if _, ok := final.Annotations["sidecar.istio.io/status"]; !ok {
		return r
	}
	r.Injected = true
	var proxy *corev1.Container
	if proxy = inject.FindContainer(inject.ProxyContainerName, final.Spec.InitContainers); proxy != nil {
		r.ProxyIn = "initContainers"
		r.NativeSidecar = proxy.RestartPolicy != nil && *proxy.RestartPolicy == corev1.ContainerRestartPolicyAlways
	} else if proxy = inject.FindContainer(inject.ProxyContainerName, final.Spec.Containers); proxy != nil {
		r.ProxyIn = "containers"
	} else {
		return r
	}
	r.Requests = quantities(proxy.Resources.Requests)
	r.Limits = quantities(proxy.Resources.Limits)
	for _, e := range proxy.Env {
		if e.Name == "PROXY_CONFIG" && e.Value != "" {
			var pc struct {
				Tracing *struct {
					Sampling *float64 `json:"sampling"`
				} `json:"tracing"`
			}
			if err := json.Unmarshal([]byte(e.Value), &pc); err != nil {
				r.Error = "oracle: PROXY_CONFIG: " + err.Error()
			} else if pc.Tracing != nil {
				r.ProxyConfigTracingSampling = pc.Tracing.Sampling
			}
		}
	}
	return r
}

func quantities(l corev1.ResourceList) map[string]string {
	m := map[string]string{}
	for k, v := range l {
		m[string(k)] = v.String()
	}
	return m
}

// selectWebhooks runs the API server's own predicates (k8s.io/apiserver) over every webhook of the given
// MutatingWebhookConfigurations for a pod CREATE, as the mutating admission dispatcher does before calling one.
// Not run: matchConditions (CEL), which Istio's charts do not use; a webhook that has them is reported as an
// error rather than guessed.
func selectWebhooks(docs string, pod *corev1.Pod, ns *corev1.Namespace) ([]string, string, error) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	if err := indexer.Add(ns); err != nil {
		return nil, "", err
	}
	nsMatcher := namespace.Matcher{NamespaceLister: corelisters.NewNamespaceLister(indexer)}
	objMatcher := object.Matcher{}
	attr := admission.NewAttributesRecord(pod, nil, corev1.SchemeGroupVersion.WithKind("Pod"), ns.Name, pod.Name,
		corev1.SchemeGroupVersion.WithResource("pods"), "", admission.Create, &metav1.CreateOptions{}, false,
		&user.DefaultInfo{Name: "system:serviceaccount:kube-system:replicaset-controller"})

	var matched []string
	firstPath := ""
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(docs), 4096)
	for {
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, "", err
		}
		if raw == nil || raw["kind"] != "MutatingWebhookConfiguration" {
			continue
		}
		var mwc admissionregistrationv1.MutatingWebhookConfiguration
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &mwc); err != nil {
			return nil, "", err
		}
		for i := range mwc.Webhooks {
			h := &mwc.Webhooks[i]
			if len(h.MatchConditions) > 0 {
				return nil, "", fmt.Errorf("webhook %s has matchConditions, which the oracle does not evaluate", h.Name)
			}
			acc := webhook.NewMutatingWebhookAccessor(fmt.Sprintf("%s/%d", mwc.Name, i), mwc.Name, h)
			if ok, serr := nsMatcher.MatchNamespaceSelector(acc, attr); serr != nil {
				return nil, "", serr
			} else if !ok {
				continue
			}
			if ok, serr := objMatcher.MatchObjectSelector(acc, attr); serr != nil {
				return nil, "", serr
			} else if !ok {
				continue
			}
			ruleMatch := false
			for _, rule := range acc.GetRules() {
				if (&rules.Matcher{Rule: rule, Attr: attr}).Matches() {
					ruleMatch = true
					break
				}
			}
			if !ruleMatch {
				continue
			}
			matched = append(matched, mwc.Name+"/"+h.Name)
			if firstPath == "" {
				firstPath = webhookPath(h.ClientConfig)
			}
		}
	}
	return matched, firstPath, nil
}

func webhookPath(cc admissionregistrationv1.WebhookClientConfig) string {
	p := ""
	if cc.Service != nil && cc.Service.Path != nil {
		p = *cc.Service.Path
	} else if cc.URL != nil {
		if u, err := url.Parse(*cc.URL); err == nil {
			p = u.Path
		}
	}
	if p == "" {
		p = "/"
	}
	return p
}

// staticWatcher hands the webhook the injector ConfigMap's config and values, parsed by Istio's own
// inject.UnmarshalConfig as istiod's file and ConfigMap watchers do; they never change during a case.
type staticWatcher struct {
	config *inject.Config
	values string
}

func (w staticWatcher) SetHandler(func(*inject.Config, string) error) {}
func (w staticWatcher) Run(<-chan struct{})                           {}
func (w staticWatcher) Get() (*inject.Config, string, error)          { return w.config, w.values, nil }

// serveWebhook serves one AdmissionReview through Istio's webhook handler and returns the patched pod, or nil when
// the handler allowed the pod unchanged.
func serveWebhook(c caseIn, podJSON []byte, pod *corev1.Pod, ns *corev1.Namespace, path string) ([]byte, error) {
	cfg, err := inject.UnmarshalConfig([]byte(c.InjectorConfig))
	if err != nil {
		return nil, fmt.Errorf("oracle: injector config: %v", err)
	}
	meshCfg, err := mesh.ApplyMeshConfigDefaults(c.MeshConfig)
	if err != nil {
		return nil, fmt.Errorf("oracle: mesh config: %v", err)
	}

	// istiod's environment, reduced to what the injector reads: the mesh config and the proxy configs computed
	// from it (no ProxyConfig resources).
	store := model.NewFakeStore()
	env := &model.Environment{Watcher: meshwatcher.NewTestWatcher(meshCfg), ConfigStore: store}
	env.SetPushContext(&model.PushContext{ProxyConfigs: model.GetProxyConfigs(store, meshCfg)})

	objects := []runtime.Object{ns}
	for _, n := range c.Nodes {
		objects = append(objects, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels},
			Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: n.KubeletVersion}},
		})
	}
	// istiod takes its revision from REVISION (pilot/pkg/bootstrap/options.go); the chart sets it.
	revision := c.Revision
	if revision == "" {
		revision = os.Getenv("REVISION")
	}
	client := kube.NewFakeClient(objects...)
	multi := multicluster.NewFakeController()
	mux := http.NewServeMux()
	if _, err := inject.NewWebhook(inject.WebhookParameters{
		Watcher:      staticWatcher{config: &cfg, values: c.InjectorValues},
		Env:          env,
		Mux:          mux,
		Revision:     revision,
		MultiCluster: multi,
	}); err != nil {
		return nil, fmt.Errorf("oracle: creating the injection webhook: %v", err)
	}
	stop := make(chan struct{})
	defer func() {
		close(stop)
		client.Shutdown()
	}()
	// The webhook's node client was created by NewWebhook; adding the cluster now builds it, and RunAndWait
	// starts it and waits until it has listed the nodes.
	multi.Add(cluster.ID(constants.DefaultClusterName), client, stop)
	if !client.RunAndWait(stop) {
		return nil, errors.New("oracle: fake client did not sync")
	}

	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:         types.UID("oracle-" + c.ID),
			Kind:        metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:    metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			RequestKind: &metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Namespace:   ns.Name,
			Name:        pod.Name,
			Operation:   admissionv1.Create,
			Object:      runtime.RawExtension{Raw: podJSON},
			Options:     runtime.RawExtension{Raw: []byte(`{"apiVersion":"meta.k8s.io/v1","kind":"CreateOptions"}`)},
		},
	}
	req := httptest.NewRequest(http.MethodPost, "https://istiod.istio-system.svc:443"+path, bytes.NewReader(mustJSON(review)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("oracle: webhook answered HTTP %d at %s: %s", rec.Code, path, strings.TrimSpace(rec.Body.String()))
	}
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
		return nil, fmt.Errorf("oracle: webhook answer: %v: %s", err, rec.Body.String())
	}
	resp := answer.Response
	if !resp.Allowed {
		msg := "denied"
		if resp.Result != nil {
			msg = resp.Result.Message
		}
		return nil, fmt.Errorf("injector: %s", msg)
	}
	if len(resp.Patch) == 0 {
		return nil, nil
	}
	patch, err := jsonpatch.DecodePatch(resp.Patch)
	if err != nil {
		return nil, fmt.Errorf("oracle: decoding the webhook's patch: %v", err)
	}
	patched, err := patch.Apply(podJSON)
	if err != nil {
		return nil, fmt.Errorf("oracle: applying the webhook's patch: %v", err)
	}
	return patched, nil
}

// ------------------------------------------------------------------------------------------------ extract

type rendered struct {
	InjectorConfig string `json:"injectorConfig"`
	InjectorValues string `json:"injectorValues"`
	MeshConfig     string `json:"meshConfig"`
	// The MutatingWebhookConfiguration(s) the chart renders (YAML documents), for the oracle's "webhooks".
	Webhooks string `json:"webhooks"`
	// The istiod container's environment as the chart sets it (literal values, and metadata.namespace), for the
	// oracle's "env". Variables set from secrets or other fields are left out.
	IstiodEnv map[string]string `json:"istiodEnv"`
}

// extract picks the injector's inputs out of `helm template` output of the istio-discovery chart: the
// istio-sidecar-injector[-REV] ConfigMap's config and values, the istio[-REV] ConfigMap's mesh, the
// MutatingWebhookConfigurations and the istiod Deployment's environment.
func extract(in io.Reader, out io.Writer, namespace string) error {
	var r rendered
	var hooks []string
	dec := utilyaml.NewYAMLOrJSONDecoder(in, 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		if obj == nil {
			continue
		}
		kind, _ := obj["kind"].(string)
		meta, _ := obj["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		switch kind {
		case "ConfigMap":
			data, _ := obj["data"].(map[string]any)
			switch {
			case strings.HasPrefix(name, "istio-sidecar-injector"):
				r.InjectorConfig, _ = data["config"].(string)
				r.InjectorValues, _ = data["values"].(string)
			case name == "istio" || (strings.HasPrefix(name, "istio-") && data["mesh"] != nil):
				r.MeshConfig, _ = data["mesh"].(string)
			}
		case "MutatingWebhookConfiguration":
			b, err := yaml.Marshal(obj)
			if err != nil {
				return err
			}
			hooks = append(hooks, string(b))
		case "Deployment":
			if !strings.HasPrefix(name, "istiod") {
				continue
			}
			var d appsv1.Deployment
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &d); err != nil {
				return err
			}
			for _, ctr := range d.Spec.Template.Spec.Containers {
				if ctr.Name != "discovery" {
					continue
				}
				r.IstiodEnv = map[string]string{}
				for _, e := range ctr.Env {
					switch {
					case e.ValueFrom == nil:
						r.IstiodEnv[e.Name] = e.Value
					case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
						r.IstiodEnv[e.Name] = namespace
					}
				}
			}
		}
	}
	if r.InjectorConfig == "" || r.InjectorValues == "" {
		return errors.New("no istio-sidecar-injector ConfigMap with config and values in the input")
	}
	r.Webhooks = strings.Join(hooks, "---\n")
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
