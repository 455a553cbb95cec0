{{- if .Values.httpRoute.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $host := include "kserve-model.routeHost" (dict "ctx" . "host" .Values.httpRoute.host "what" "httpRoute") -}}
{{- $knative := eq (include "kserve-model.deploymentMode" .) "Knative" }}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
spec:
  parentRefs:
    {{- toYaml .Values.httpRoute.parentRefs | nindent 4 }}
  hostnames:
    - {{ $host | quote }}
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /
      {{- if $knative }}
      # Knative mode: the predictor Service leads to Knative's gateway, which routes on the Host header.
      filters:
        - type: URLRewrite
          urlRewrite:
            hostname: {{ include "kserve-model.predictorHost" . }}
      {{- end }}
      backendRefs:
        - name: {{ include "kserve-model.predictorService" . }}
          port: 80
          {{- with .Values.canaries }}
          {{- /* KServe v0.20 gives each canary its own Service: the route splits the requests by its percent. */}}
          {{- $sum := 0 }}
          {{- range . }}{{ $sum = add $sum (int .trafficPercent) }}{{ end }}
          weight: {{ sub 100 $sum }}
          {{- range . }}
        - name: {{ printf "%s-%s-predictor" $full .name }}
          port: 80
          weight: {{ int .trafficPercent }}
          {{- end }}
          {{- end }}
{{- end }}
