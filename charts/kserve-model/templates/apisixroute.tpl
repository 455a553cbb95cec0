{{- if .Values.apisixRoute.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $host := include "kserve-model.routeHost" (dict "ctx" . "host" .Values.apisixRoute.host "what" "apisixRoute") -}}
{{- $knative := eq (include "kserve-model.deploymentMode" .) "Knative" }}
apiVersion: apisix.apache.org/v2
kind: ApisixRoute
metadata:
  name: {{ $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
spec:
  {{- with .Values.apisixRoute.ingressClassName }}
  ingressClassName: {{ . }}
  {{- end }}
  http:
    - name: {{ $full }}
      match:
        hosts:
          - {{ $host | quote }}
        paths:
          - /*
      backends:
        - serviceName: {{ include "kserve-model.predictorService" . }}
          servicePort: 80
      {{- if $knative }}
      # Knative mode: the predictor Service leads to Knative's gateway, which routes on the Host header.
      plugins:
        - name: proxy-rewrite
          enable: true
          config:
            host: {{ include "kserve-model.predictorHost" . }}
      {{- end }}
{{- end }}
