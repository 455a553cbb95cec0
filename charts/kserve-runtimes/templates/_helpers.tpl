{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "kserve-runtimes.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
chart label value: name-version.
*/}}
{{- define "kserve-runtimes.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels on every object of this release.
*/}}
{{- define "kserve-runtimes.labels" -}}
helm.sh/chart: {{ include "kserve-runtimes.chart" . }}
app.kubernetes.io/name: {{ include "kserve-runtimes.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llmops-kserve
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Apply the registry mirror to one image.
Call with (dict "image" "<image>" "registry" .Values.global.imageRegistry).
The same rule as the llmops.kserve.image_mirror filter (plugins/module_utils/images.py; tests/unit/test_images.py
compares the two on a table of cases): the first path segment is a registry when it contains "." or ":" or is
"localhost"; an image without one is on Docker Hub. With a mirror set, that registry part is replaced by the mirror,
and a Docker Hub image with one path segment gets "library/" ("busybox", "docker.io/busybox" -> <mirror>/library/busybox);
tag and digest are kept. Without a mirror the image is returned unchanged.
*/}}
{{- define "kserve-runtimes.image" -}}
{{- $image := .image -}}
{{- $registry := trimSuffix "/" (default "" .registry) -}}
{{- if $registry -}}
{{- $parts := splitList "/" $image -}}
{{- $first := first $parts -}}
{{- $host := "docker.io" -}}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- $host = $first -}}
{{- $parts = rest $parts -}}
{{- end -}}
{{- if and (has $host (list "docker.io" "index.docker.io" "registry-1.docker.io")) (eq (len $parts) 1) -}}
{{- $parts = prepend $parts "library" -}}
{{- end -}}
{{- printf "%s/%s" $registry (join "/" $parts) -}}
{{- else -}}
{{- $image -}}
{{- end -}}
{{- end -}}

{{/*
Platforms the catalog knows: the distinct `platform` of every entry, sorted. Returns JSON.
*/}}
{{- define "kserve-runtimes.knownPlatforms" -}}
{{- $known := list -}}
{{- range $name, $entry := .Values.catalog -}}
{{- if $entry -}}
{{- $known = append $known $entry.platform -}}
{{- end -}}
{{- end -}}
{{- $known | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/*
Validate the values and return (as JSON) the sorted names of the catalog entries to render.
Fails with one clear message on: an unknown platform in `platforms`, an env variable the device plugins or KServe
own, and two rendered runtimes with the same auto-select priority for the same model format and version.
*/}}
{{- define "kserve-runtimes.selected" -}}
{{- $known := include "kserve-runtimes.knownPlatforms" . | fromJsonArray -}}
{{- range $platform := .Values.platforms -}}
{{- if not (has $platform $known) -}}
{{- fail (printf "platforms: unknown platform %q; known platforms (from the catalog): %s" $platform (join ", " $known)) -}}
{{- end -}}
{{- end -}}
{{- $forbiddenEnv := dict
  "HABANA_VISIBLE_DEVICES" "the Gaudi device plugin sets it to the cards the scheduler assigned; a fixed value (\"all\" above all) takes cards given to other pods"
  "NVIDIA_VISIBLE_DEVICES" "the NVIDIA device plugin sets it to the GPUs the scheduler assigned"
  "PYTHONPATH" "KServe's admission webhook rejects it"
-}}
{{- $selected := list -}}
{{- range $name := keys .Values.catalog | sortAlpha -}}
{{- $entry := index $.Values.catalog $name -}}
{{- if $entry -}}
{{- range $env, $why := $forbiddenEnv -}}
{{- if hasKey (default (dict) $entry.env) $env -}}
{{- fail (printf "catalog.%s.env.%s: must not be set (got %q): %s. Remove it" $name $env (toString (index $entry.env $env)) $why) -}}
{{- end -}}
{{- end -}}
{{- if and (dig "enabled" true $entry) (or (empty $.Values.platforms) (has $entry.platform $.Values.platforms)) -}}
{{- $selected = append $selected $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $seen := dict -}}
{{- range $name := $selected -}}
{{- $entry := index $.Values.catalog $name -}}
{{- range $format := $entry.supportedModelFormats -}}
{{- if and $format.autoSelect (hasKey $format "priority") -}}
{{- $key := printf "%s (version %s) priority %v" (lower $format.name) (default "any" $format.version) $format.priority -}}
{{- if hasKey $seen $key -}}
{{- fail (printf "catalog.%s.supportedModelFormats: auto-select %s is also used by %s; give each rendered runtime a distinct priority per model format so KServe's selection is unambiguous" $name $key (index $seen $key)) -}}
{{- end -}}
{{- $_ := set $seen $key $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $selected | toJson -}}
{{- end -}}

{{/*
Render one probe: the values give path/timings, the chart fills httpGet.port with the serving port.
Call with (dict "probe" <probe> "port" <port>).
*/}}
{{- define "kserve-runtimes.probe" -}}
{{- $probe := deepCopy .probe -}}
{{- if hasKey $probe "httpGet" -}}
{{- $_ := set $probe.httpGet "port" (int .port) -}}
{{- end -}}
{{- toYaml $probe -}}
{{- end -}}
