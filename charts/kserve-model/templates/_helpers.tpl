{{/*
Names, labels and derived values of the kserve-model chart. Every resource name derives from
the release (or fullnameOverride), so two releases never create clashing objects.
*/}}

{{/* Chart name (app.kubernetes.io/name). */}}
{{- define "kserve-model.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fullname: fullnameOverride or the release name, unchanged. It is not truncated (two long names
could become equal): names that KServe cannot use are rejected in kserve-model.validate.
*/}}
{{- define "kserve-model.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride -}}
{{- end -}}

{{- define "kserve-model.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Label value of the model id: "/" becomes "--", other odd characters "-", at most 63. */}}
{{- define "kserve-model.modelLabel" -}}
{{- $v := regexReplaceAll "[^A-Za-z0-9._-]" (.Values.model.id | replace "/" "--") "-" | trunc 63 -}}
{{- regexReplaceAll "[^A-Za-z0-9]+$" (regexReplaceAll "^[^A-Za-z0-9]+" $v "") "" -}}
{{- end -}}

{{- define "kserve-model.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kserve-model.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kserve-model.labels" -}}
helm.sh/chart: {{ include "kserve-model.chart" . }}
{{ include "kserve-model.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llmops-kserve
llmops.kserve/model: {{ include "kserve-model.modelLabel" . | quote }}
llmops.kserve/platform: {{ .Values.platform | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels KServe puts on the predictor pods of this InferenceService. */}}
{{- define "kserve-model.predictorPodLabels" -}}
serving.kserve.io/inferenceservice: {{ include "kserve-model.fullname" . }}
component: predictor
{{- end -}}

{{/* Knative or Standard, whatever name (old or new) the values use. */}}
{{- define "kserve-model.deploymentMode" -}}
{{- $m := .Values.deploymentMode -}}
{{- if or (eq $m "Knative") (eq $m "Serverless") -}}
Knative
{{- else if or (eq $m "Standard") (eq $m "RawDeployment") -}}
Standard
{{- else -}}
{{- fail (printf "deploymentMode: %q is not supported; use Knative or Standard (Serverless and RawDeployment are accepted as old names)" $m) -}}
{{- end -}}
{{- end -}}

{{- define "kserve-model.runtimeName" -}}
{{- if .Values.runtime.name -}}
{{- .Values.runtime.name -}}
{{- else -}}
{{- printf "llmops-%s-%s" .Values.runtime.flavour .Values.platform -}}
{{- end -}}
{{- end -}}

{{- define "kserve-model.servedName" -}}
{{- default (include "kserve-model.fullname" .) .Values.model.servedName -}}
{{- end -}}

{{/* Devices per replica: accelerator.count, else the tensor-parallel size. */}}
{{- define "kserve-model.deviceCount" -}}
{{- if kindIs "invalid" .Values.accelerator.count -}}
{{- int .Values.model.tensorParallelSize -}}
{{- else -}}
{{- int .Values.accelerator.count -}}
{{- end -}}
{{- end -}}

{{/* Where the weights come from (the download source when the model cache is on). */}}
{{- define "kserve-model.sourceUri" -}}
{{- if .Values.model.storageUri -}}
{{- .Values.model.storageUri -}}
{{- else if .Values.model.revision -}}
{{- printf "hf://%s:%s" .Values.model.id .Values.model.revision -}}
{{- else -}}
{{- printf "hf://%s" .Values.model.id -}}
{{- end -}}
{{- end -}}

{{/*
Annotations naming the hf-token Secret for KServe's storage initializer (one per line, "key: value"), or
nothing: only for an hf:// storageUri with hfToken.enabled and no model cache (the predictor then reads a PVC).
*/}}
{{- define "kserve-model.storageSecretAnnotations" -}}
{{- $uri := include "kserve-model.storageUri" . -}}
{{- if and .Values.hfToken.enabled (not .Values.modelCache.enabled) (hasPrefix "hf://" $uri) -}}
{{- range .Values.hfToken.storageSecretNameAnnotations }}
{{- if not (hasKey $.Values.annotations .) }}
{{ . }}: {{ $.Values.hfToken.secretName | quote }}
{{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* Name of the cluster-scoped LocalModelCache: localModelCache.name, else <fullname>-<namespace>. */}}
{{- define "kserve-model.localModelCacheName" -}}
{{- default (printf "%s-%s" (include "kserve-model.fullname" .) .Release.Namespace) .Values.localModelCache.name -}}
{{- end -}}

{{/* localModelCache checks: one clear message naming the field, the value and what is allowed. */}}
{{- define "kserve-model.validateLocalModelCache" -}}
{{- $lmc := .Values.localModelCache -}}
{{- if $lmc.enabled -}}
{{- if .Values.modelCache.enabled -}}
{{- fail "localModelCache.enabled=true and modelCache.enabled=true cannot be combined: KServe's LocalModelCache caches the weights on the nodes, modelCache downloads them into a PVC; enable one of them" -}}
{{- end -}}
{{- if not $lmc.modelSize -}}
{{- fail "localModelCache.modelSize is required with localModelCache.enabled=true: the size of the weights as a Kubernetes quantity, e.g. 20Gi" -}}
{{- end -}}
{{- if not $lmc.nodeGroups -}}
{{- fail "localModelCache.nodeGroups is required with localModelCache.enabled=true: the LocalModelNodeGroups to cache the model on, e.g. [gpu-nodes]" -}}
{{- end -}}
{{- $src := include "kserve-model.sourceUri" . -}}
{{- if hasPrefix "pvc://" $src -}}
{{- fail (printf "localModelCache.enabled=true caches model.storageUri on the nodes, but model.storageUri=%q already is a PVC: disable localModelCache or use an hf:// or s3:// source" $src) -}}
{{- end -}}
{{- $name := include "kserve-model.localModelCacheName" . -}}
{{- if gt (len $name) 63 -}}
{{- fail (printf "localModelCache.name: the default name %q (<fullname>-<namespace>) is longer than 63 characters; set localModelCache.name to a DNS label of at most 63 characters" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kserve-model.cacheClaim" -}}
{{- default (printf "%s-model-cache" (include "kserve-model.fullname" .)) .Values.modelCache.existingClaim -}}
{{- end -}}

{{- define "kserve-model.cachePath" -}}
{{- default (.Values.model.id | replace "/" "--") .Values.modelCache.path | trimPrefix "/" | trimSuffix "/" -}}
{{- end -}}

{{/* storageUri of the InferenceService. */}}
{{- define "kserve-model.storageUri" -}}
{{- if .Values.modelCache.enabled -}}
{{- printf "pvc://%s/%s" (include "kserve-model.cacheClaim" .) (include "kserve-model.cachePath" .) -}}
{{- else -}}
{{- include "kserve-model.sourceUri" . -}}
{{- end -}}
{{- end -}}

{{/* File the download Job writes when the weights are complete. */}}
{{- define "kserve-model.cacheMarker" -}}
{{- printf "/mnt/model-cache/%s/.llmops-download-complete" (include "kserve-model.cachePath" .) -}}
{{- end -}}

{{/* Service (and Deployment) of the main predictor: <fullname>-predictor, or <fullname>-<predictor.name>-predictor
(KServe v0.20 names a predictor variant so; a promoted canary keeps its name). */}}
{{- define "kserve-model.predictorService" -}}
{{- if .Values.predictor.name -}}
{{- printf "%s-%s-predictor" (include "kserve-model.fullname" .) .Values.predictor.name -}}
{{- else -}}
{{- printf "%s-predictor" (include "kserve-model.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* In-cluster host of the predictor (a Service in Standard mode, Knative's local gateway otherwise). */}}
{{- define "kserve-model.predictorHost" -}}
{{- printf "%s.%s.svc.cluster.local" (include "kserve-model.predictorService" .) .Release.Namespace -}}
{{- end -}}

{{/*
Checksum of the values that shape the predictor Pods (replica counts, scaling and the variant name excluded):
KServe copies the InferenceService's annotations into the pod template, so the deploy role can tell a finished
rollout of this release revision from the Pods of the previous one (roles/model_deploy/tasks/wait.yml). A canary
carries the checksum of its own values (kserve-model.canaryValues), which are what the main predictor's values
become when it is promoted.
*/}}
{{- define "kserve-model.podChecksum" -}}
{{- $p := .Values.predictor -}}
{{- $podValues := dict "platform" .Values.platform "deploymentMode" .Values.deploymentMode "runtime" .Values.runtime "model" .Values.model "accelerator" .Values.accelerator "resources" .Values.resources "hfToken" .Values.hfToken "modelCache" .Values.modelCache "commonLabels" .Values.commonLabels "annotations" .Values.annotations "predictor" (omit $p "name" "minReplicas" "maxReplicas" "scaleToZero" "scaleMetric" "scaleTarget" "autoscalerClass" "canaryTrafficPercent" "containerConcurrency" "timeoutSeconds") -}}
{{- $podValues | toJson | sha256sum | trunc 16 -}}
{{- end -}}

{{/*
Values of a canary (YAML): the main values with the canary's overrides. Call with (dict "Values" .Values "canary"
<entry>). model.id replaces the model and its revision (empty unless the canary sets one); model.revision,
model.storageUri and model.extraArgs replace the main ones when set; runtime.name / runtime.image likewise;
resources replaces requests and limits as a whole. playbooks/rollout_model.yml promotes a canary by writing these
same values as the main ones (roles/model_rollout), so the promoted Pods keep their spec.
*/}}
{{- define "kserve-model.canaryValues" -}}
{{- $v := deepCopy .Values -}}
{{- $c := .canary -}}
{{- $_ := set $v "canaries" list -}}
{{- $_ := set $v.predictor "name" $c.name -}}
{{- with $c.model -}}
{{- if .id -}}
{{- $_ := set $v.model "id" .id -}}
{{- $_ := set $v.model "revision" (default "" .revision) -}}
{{- else if .revision -}}
{{- $_ := set $v.model "revision" .revision -}}
{{- end -}}
{{- if .storageUri -}}
{{- $_ := set $v.model "storageUri" .storageUri -}}
{{- end -}}
{{- if .extraArgs -}}
{{- $_ := set $v.model "extraArgs" .extraArgs -}}
{{- end -}}
{{- end -}}
{{- with $c.runtime -}}
{{- if .name -}}
{{- $_ := set $v.runtime "name" .name -}}
{{- end -}}
{{- if .image -}}
{{- $_ := set $v.runtime "image" .image -}}
{{- end -}}
{{- end -}}
{{- with $c.resources -}}
{{- $_ := set $v "resources" (deepCopy .) -}}
{{- end -}}
{{- toYaml $v -}}
{{- end -}}

{{/* Checks of the canaries (Standard mode, names, percents, replicas); called from kserve-model.validate. */}}
{{- define "kserve-model.validateCanaries" -}}
{{- $full := include "kserve-model.fullname" . -}}
{{- $mode := include "kserve-model.deploymentMode" . -}}
{{- $p := .Values.predictor -}}
{{- if and $p.name (ne $mode "Standard") -}}
{{- fail (printf "predictor.name=%q applies to deploymentMode Standard only (got %q): leave it empty in Knative mode" $p.name .Values.deploymentMode) -}}
{{- end -}}
{{- if and (eq $mode "Standard") (not (kindIs "invalid" $p.canaryTrafficPercent)) -}}
{{- fail (printf "predictor.canaryTrafficPercent=%v is Knative-only (KServe v0.20 ignores it in Standard mode): in Standard mode list a canary under canaries (name, trafficPercent, overrides), or use deploymentMode Knative" $p.canaryTrafficPercent) -}}
{{- end -}}
{{- with .Values.canaries -}}
{{- if ne $mode "Standard" -}}
{{- fail (printf "canaries: KServe's spec.canary needs deploymentMode Standard (got %q); in Knative mode use predictor.canaryTrafficPercent" $.Values.deploymentMode) -}}
{{- end -}}
{{- if $.Values.modelCache.enabled -}}
{{- fail "canaries: not supported with modelCache.enabled=true (the cache holds the main model's weights only); roll out with the model cache disabled" -}}
{{- end -}}
{{- $names := dict -}}
{{- $sum := 0 -}}
{{- range $i, $c := . -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" (toString $c.name)) -}}
{{- fail (printf "canaries[%d].name=%q is not a DNS label: use lower-case letters, digits and '-', starting with a letter" $i (toString $c.name)) -}}
{{- end -}}
{{- if hasKey $names $c.name -}}
{{- fail (printf "canaries[%d].name=%q is used twice: each canary needs its own name (its Deployment is %s-%s-predictor)" $i $c.name $full $c.name) -}}
{{- end -}}
{{- $_ := set $names $c.name true -}}
{{- if eq $c.name (toString $p.name) -}}
{{- fail (printf "canaries[%d].name=%q is the main predictor's name (predictor.name): a canary needs another name" $i $c.name) -}}
{{- end -}}
{{- $dep := printf "%s-%s-predictor" $full $c.name -}}
{{- if gt (len $dep) 63 -}}
{{- fail (printf "canaries[%d].name=%q makes the Deployment/Service name %q longer than 63 characters: use a shorter canary name (at most %d characters with this release name)" $i $c.name $dep (sub 63 (add (len $full) 11))) -}}
{{- end -}}
{{- $pct := int $c.trafficPercent -}}
{{- if or (lt $pct 0) (gt $pct 100) -}}
{{- fail (printf "canaries[%d].trafficPercent=%d is outside 0-100" $i $pct) -}}
{{- end -}}
{{- $sum = add $sum $pct -}}
{{- if and (not (kindIs "invalid" $c.replicas)) (gt (int $c.replicas) (int $p.minReplicas)) -}}
{{- fail (printf "canaries[%d].replicas=%d is more than predictor.minReplicas=%d: KServe v0.20 refuses a canary with more replicas than the main predictor" $i (int $c.replicas) (int $p.minReplicas)) -}}
{{- end -}}
{{- if and $.Values.model.storageUri (or (dig "model" "id" "" $c) (dig "model" "revision" "" $c)) (not (dig "model" "storageUri" "" $c)) -}}
{{- fail (printf "canaries[%d].model: id/revision apply to the default source hf://<model.id>, but the main model reads model.storageUri=%q: give the canary its own model.storageUri" $i $.Values.model.storageUri) -}}
{{- end -}}
{{- end -}}
{{- if gt $sum 100 -}}
{{- fail (printf "canaries: the trafficPercent values add up to %d; KServe allows at most 100 in all" $sum) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Public host of a route: the route's own host, else <fullname>-<namespace>.<routing.domain>
(shortened with a hash when the first label would pass 63 characters). Call with
(dict "ctx" $ "host" <route host> "what" "<values key>").
*/}}
{{- define "kserve-model.routeHost" -}}
{{- $ctx := .ctx -}}
{{- if .host -}}
{{- .host -}}
{{- else if $ctx.Values.routing.domain -}}
{{- $label := printf "%s-%s" (include "kserve-model.fullname" $ctx) $ctx.Release.Namespace -}}
{{- if gt (len $label) 63 -}}
{{- $label = printf "%s-%s" ($label | trunc 54 | trimSuffix "-") ($label | sha256sum | trunc 8) -}}
{{- end -}}
{{- printf "%s.%s" $label $ctx.Values.routing.domain -}}
{{- else -}}
{{- fail (printf "%s.enabled is true but neither %s.host nor routing.domain is set: set routing.domain (hosts become <release>-<namespace>.<domain>) or %s.host" .what .what .what) -}}
{{- end -}}
{{- end -}}

{{- define "kserve-model.testPath" -}}
{{- if .Values.test.path -}}
{{- .Values.test.path -}}
{{- else if eq .Values.runtime.flavour "hf" -}}
/openai/v1/models
{{- else -}}
/v1/models
{{- end -}}
{{- end -}}

{{/*
Checks the schema cannot express. Each failure names the values field, the bad value and what is
allowed. Included once, from inferenceservice.tpl.
*/}}
{{- define "kserve-model.validate" -}}
{{- $full := include "kserve-model.fullname" . -}}
{{- $mode := include "kserve-model.deploymentMode" . -}}
{{- $nameMax := 45 -}}{{/* catalog: model_name_max (plugins/module_utils/catalog.py; hack/gen_contracts.py) */}}
{{- if or (gt (len $full) $nameMax) (not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $full)) -}}
{{- fail (printf "release name / fullnameOverride %q cannot name an InferenceService: use at most %d characters, lower-case letters, digits and '-', starting with a letter and ending with a letter or digit" $full $nameMax) -}}
{{- end -}}
{{- if not .Values.model.id -}}
{{- fail "model.id is required: the Hugging Face model id, e.g. Qwen/Qwen2.5-0.5B-Instruct" -}}
{{- end -}}
{{- if regexMatch "\\bhf_[A-Za-z0-9]{10,}" (toJson .Values) -}}
{{- fail "a value looks like a Hugging Face token (hf_...): never put the token in values; store it in the Secret named by hfToken.secretName (key hfToken.secretKey) and keep hfToken.enabled=true" -}}
{{- end -}}
{{- $tp := int .Values.model.tensorParallelSize -}}
{{- $devices := int (include "kserve-model.deviceCount" .) -}}
{{- if and .Values.accelerator.resourceName (gt $tp $devices) -}}
{{- fail (printf "model.tensorParallelSize=%d is larger than the devices requested (accelerator.count=%d of %s): tensor parallel N needs N devices in the pod; raise accelerator.count or lower model.tensorParallelSize" $tp $devices .Values.accelerator.resourceName) -}}
{{- end -}}
{{- $auto := .Values.autoscaling | default dict -}}
{{- $vllmMetrics := list -}}
{{- range ($auto.metrics | default list) -}}
{{- if hasPrefix "vllm:" .metric -}}{{- $vllmMetrics = append $vllmMetrics .metric -}}{{- end -}}
{{- end -}}
{{- $kedaZero := and (eq .Values.predictor.autoscalerClass "keda") (gt (len $vllmMetrics) 0) -}}
{{- if and .Values.predictor.scaleToZero (ne $mode "Knative") (not $kedaZero) -}}
{{- fail (printf "predictor.scaleToZero=true needs deploymentMode Knative (got %q) or, in Standard mode, predictor.autoscalerClass=keda with a vllm:* metric in autoscaling.metrics (KEDA activates from zero on an external trigger); set predictor.scaleToZero=false or one of those" .Values.deploymentMode) -}}
{{- end -}}
{{- if and (eq $mode "Standard") (eq (int .Values.predictor.minReplicas) 0) (has .Values.predictor.autoscalerClass (list "keda" "hpa")) (not $kedaZero) -}}
{{- fail (printf "predictor.minReplicas=0 with predictor.autoscalerClass=%s: scale to zero needs autoscalerClass keda with a vllm:* metric in autoscaling.metrics (an HPA keeps at least 1 replica; KEDA never activates from zero on cpu/memory)" .Values.predictor.autoscalerClass) -}}
{{- end -}}
{{- if and $auto.metrics (eq $mode "Knative") -}}
{{- fail "autoscaling.metrics is for Standard mode (predictor.autoscalerClass keda or hpa); in Knative mode set predictor.scaleMetric (concurrency or rps) and predictor.scaleTarget" -}}
{{- end -}}
{{- if and $auto.metrics (eq $mode "Standard") (not (has .Values.predictor.autoscalerClass (list "keda" "hpa"))) -}}
{{- fail (printf "autoscaling.metrics is set but predictor.autoscalerClass=%q: set keda (vllm:* metrics, cpu, memory) or hpa (cpu, memory)" .Values.predictor.autoscalerClass) -}}
{{- end -}}
{{- if eq .Values.predictor.autoscalerClass "hpa" -}}
{{- range ($auto.metrics | default list) -}}
{{- if not (has .metric (list "cpu" "memory")) -}}
{{- fail (printf "autoscaling.metrics: metric %q does not work with predictor.autoscalerClass=hpa (KServe's HPA takes cpu and memory only); use autoscalerClass keda for vllm:* metrics" .metric) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.predictor.autoscalerClass "keda") .Values.predictor.scaleMetric -}}
{{- fail (printf "predictor.scaleMetric=%q does not work with predictor.autoscalerClass=keda (KServe rejects it): list the metrics in autoscaling.metrics" .Values.predictor.scaleMetric) -}}
{{- end -}}
{{- $k := $auto.knative | default dict -}}
{{- if and (eq $mode "Standard") (or $k.window $k.scaleDownDelay (not (kindIs "invalid" $k.initialScale)) (not (kindIs "invalid" $k.targetUtilizationPercentage))) -}}
{{- fail "autoscaling.knative.* (window, scaleDownDelay, initialScale, targetUtilizationPercentage) applies to deploymentMode Knative only: leave them empty in Standard mode" -}}
{{- end -}}
{{- if and (eq $mode "Standard") (has .Values.predictor.scaleMetric (list "concurrency" "rps")) -}}
{{- fail (printf "predictor.scaleMetric=%q is Knative-only: in Standard mode use cpu or memory (or leave it empty)" .Values.predictor.scaleMetric) -}}
{{- end -}}
{{- if and (eq $mode "Knative") .Values.predictor.autoscalerClass -}}
{{- fail (printf "predictor.autoscalerClass=%q applies to Standard mode only; leave it empty with deploymentMode Knative" .Values.predictor.autoscalerClass) -}}
{{- end -}}
{{- if and .Values.predictor.hostIPC (eq $mode "Knative") -}}
{{- fail "predictor.hostIPC=true is rejected by Knative: use predictor.shmSize (a memory-backed /dev/shm) or deploymentMode Standard" -}}
{{- end -}}
{{- $min := ternary 0 (int .Values.predictor.minReplicas) .Values.predictor.scaleToZero -}}
{{- if lt (int .Values.predictor.maxReplicas) $min -}}
{{- fail (printf "predictor.maxReplicas=%d is lower than predictor.minReplicas=%d" (int .Values.predictor.maxReplicas) $min) -}}
{{- end -}}
{{- if hasKey .Values.model.env "HF_TOKEN" -}}
{{- fail "model.env.HF_TOKEN must not be set: the token comes from the Secret named by hfToken.secretName (key hfToken.secretKey)" -}}
{{- end -}}
{{- /* The capabilities each runtime entry of charts/kserve-runtimes declares (tests/unit/test_model_chart.py keeps
       this in step with that chart). A model may add only those of its runtime; the schema refuses privileged. */ -}}
{{- $declaredCaps := dict "llmops-vllm-xeon" (list "SYS_NICE") "llmops-vllm-gaudi" (list "SYS_NICE") "llmops-vllm-gaudi3" (list "SYS_NICE") -}}
{{- $runtime := include "kserve-model.runtimeName" . -}}
{{- $allowedCaps := get $declaredCaps $runtime | default list -}}
{{- range (dig "capabilities" "add" list (.Values.model.securityContext | default dict)) -}}
{{- if not (has . $allowedCaps) -}}
{{- fail (printf "model.securityContext.capabilities.add: %q is not declared by runtime %s (it declares: %s): a model may add only the capabilities its runtime entry declares" . $runtime (ternary "none" (join ", " $allowedCaps) (empty $allowedCaps))) -}}
{{- end -}}
{{- end -}}
{{- if and .Values.model.revision .Values.model.storageUri -}}
{{- fail (printf "model.revision=%q applies to the default source hf://<model.id>, but model.storageUri=%q is set: put the revision in the URI (hf://owner/model:revision) or leave model.storageUri empty" .Values.model.revision .Values.model.storageUri) -}}
{{- end -}}
{{- if and .Values.hfToken.enabled .Values.hfToken.storageSecretNameAnnotations (ne .Values.hfToken.secretKey "HF_TOKEN") (include "kserve-model.storageSecretAnnotations" .) -}}
{{- fail (printf "hfToken.secretKey=%q: KServe's storage initializer takes the token only from the key HF_TOKEN of the Secret named by the storage secret annotation; store the token under HF_TOKEN in Secret %q, or set hfToken.storageSecretNameAnnotations=[] and give the predictor's ServiceAccount the credentials" .Values.hfToken.secretKey .Values.hfToken.secretName) -}}
{{- end -}}
{{- if .Values.modelCache.enabled -}}
{{- $src := include "kserve-model.sourceUri" . -}}
{{- if hasPrefix "pvc://" $src -}}
{{- fail (printf "modelCache.enabled=true downloads model.storageUri into a PVC, but model.storageUri=%q already is a PVC: disable modelCache or use an hf:// or s3:// source" $src) -}}
{{- end -}}
{{- end -}}
{{- include "kserve-model.validateLocalModelCache" . -}}
{{- if and .Values.metrics.prometheusRule.enabled (not .Values.metrics.serviceMonitor.enabled) -}}
{{- fail "metrics.prometheusRule.enabled=true needs metrics.serviceMonitor.enabled=true: the alert rules select the series that the chart's ServiceMonitor scrapes" -}}
{{- end -}}
{{- include "kserve-model.validateCanaries" . -}}
{{- if and .Values.httpRoute.enabled (not .Values.httpRoute.parentRefs) -}}
{{- fail "httpRoute.enabled=true needs httpRoute.parentRefs: the Gateway(s) to attach to, e.g. [{name: inference-gateway, namespace: gateway-system}]" -}}
{{- end -}}
{{- end -}}

{{/*
spec.predictor.autoScaling (KServe v0.20 AutoScalingSpec) for autoscalerClass keda / hpa in Standard mode: KServe's
controller turns it into the KEDA ScaledObject's triggers (pkg/controller/v1beta1/inferenceservice/reconcilers/keda)
or the HPA's metrics (reconcilers/hpa). vllm:* metrics become Prometheus queries summed over the model's pods.
*/}}
{{- define "kserve-model.autoScaling" -}}
{{- $mode := include "kserve-model.deploymentMode" . -}}
{{- $a := .Values.autoscaling | default dict -}}
{{- $class := .Values.predictor.autoscalerClass -}}
{{- if and (eq $mode "Standard") (has $class (list "keda" "hpa")) (or $a.metrics (not (kindIs "invalid" $a.scaleDownStabilizationSeconds)) (not (kindIs "invalid" $a.scaleUpStabilizationSeconds))) -}}
{{- $served := include "kserve-model.servedName" . -}}
{{- $prom := $a.prometheus | default dict -}}
{{- with $a.metrics }}
metrics:
{{- range . }}
{{- if hasPrefix "vllm:" .metric }}
  - type: External
    external:
      metric:
        backend: prometheus
        serverAddress: {{ $prom.serverAddress | quote }}
        query: {{ printf "sum(%s{namespace=\"%s\",model_name=\"%s\"})" .metric $.Release.Namespace $served | quote }}
      {{- if or $prom.authenticationRef $prom.authModes }}
      authenticationRef:
        authenticationRef:
          name: {{ $prom.authenticationRef | quote }}
        {{- with $prom.authModes }}
        authModes: {{ . | quote }}
        {{- end }}
      {{- end }}
      target:
        type: Value
        {{- $t := .target }}
        {{- if and (kindIs "float64" $t) (eq $t (floor $t)) }}{{ $t = int64 $t }}{{ end }}
        value: {{ toString $t | quote }}
{{- else }}
  - type: Resource
    resource:
      name: {{ .metric }}
      target:
        {{- if kindIs "string" .target }}
        type: AverageValue
        averageValue: {{ .target | quote }}
        {{- else }}
        type: Utilization
        averageUtilization: {{ int .target }}
        {{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if or (not (kindIs "invalid" $a.scaleDownStabilizationSeconds)) (not (kindIs "invalid" $a.scaleUpStabilizationSeconds)) }}
behavior:
  {{- if not (kindIs "invalid" $a.scaleDownStabilizationSeconds) }}
  scaleDown:
    stabilizationWindowSeconds: {{ int $a.scaleDownStabilizationSeconds }}
  {{- end }}
  {{- if not (kindIs "invalid" $a.scaleUpStabilizationSeconds) }}
  scaleUp:
    stabilizationWindowSeconds: {{ int $a.scaleUpStabilizationSeconds }}
  {{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
Knative Pod Autoscaler annotations of the predictor (Knative mode): KServe writes metric/target/min-scale/max-scale
from predictor.scaleMetric / scaleTarget / minReplicas / maxReplicas; these are the other KPA settings.
*/}}
{{- define "kserve-model.kpaAnnotations" -}}
{{- $k := (.Values.autoscaling | default dict).knative | default dict -}}
{{- if or $k.window $k.scaleDownDelay (not (kindIs "invalid" $k.initialScale)) (not (kindIs "invalid" $k.targetUtilizationPercentage)) }}
autoscaling.knative.dev/class: kpa.autoscaling.knative.dev
{{- with $k.window }}
autoscaling.knative.dev/window: {{ . | quote }}
{{- end }}
{{- with $k.scaleDownDelay }}
autoscaling.knative.dev/scale-down-delay: {{ . | quote }}
{{- end }}
{{- if not (kindIs "invalid" $k.initialScale) }}
autoscaling.knative.dev/initial-scale: {{ int $k.initialScale | quote }}
{{- end }}
{{- if not (kindIs "invalid" $k.targetUtilizationPercentage) }}
autoscaling.knative.dev/target-utilization-percentage: {{ int $k.targetUtilizationPercentage | quote }}
{{- end }}
{{- end }}
{{- end -}}
