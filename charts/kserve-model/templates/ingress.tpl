{{- if .Values.ingress.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $host := include "kserve-model.routeHost" (dict "ctx" . "host" .Values.ingress.host "what" "ingress") -}}
{{- $knative := eq (include "kserve-model.deploymentMode" .) "Knative" }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
  {{- if or .Values.ingress.annotations $knative }}
  annotations:
    {{- if and $knative (not (hasKey .Values.ingress.annotations "nginx.ingress.kubernetes.io/upstream-vhost")) }}
    # Knative mode: the predictor Service leads to Knative's gateway, which routes on the Host header.
    nginx.ingress.kubernetes.io/upstream-vhost: {{ include "kserve-model.predictorHost" . }}
    {{- end }}
    {{- with .Values.ingress.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
spec:
  {{- with .Values.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if .Values.ingress.tls.enabled }}
  tls:
    - hosts:
        - {{ $host | quote }}
      secretName: {{ default (printf "%s-tls" $full) .Values.ingress.tls.secretName }}
  {{- end }}
  rules:
    - host: {{ $host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "kserve-model.predictorService" . }}
                port:
                  number: 80
{{- end }}
