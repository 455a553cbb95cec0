{{- /*
Named like the real chart's (<fullname>-webhook), so uninstall tests can prove none is left behind.
FIXTURE DIFFERENCE: failurePolicy is Ignore (the real chart uses Fail). No webhook process runs on the kwok test
cluster, so with Fail every cert-manager object other tests create (e.g. KServe's Certificate) would be rejected.
*/ -}}
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {{ include "webhook.fullname" . }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 4 }}
  annotations:
    cert-manager.io/inject-ca-from-secret: {{ printf "%s/%s-ca" .Release.Namespace (include "webhook.fullname" .) | quote }}
webhooks:
  - name: webhook.cert-manager.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Ignore
    timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
    namespaceSelector:
      matchExpressions:
        - key: cert-manager.io/disable-validation
          operator: NotIn
          values: ["true"]
    rules:
      - apiGroups: ["cert-manager.io", "acme.cert-manager.io"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["*/*"]
    clientConfig:
      service:
        name: {{ include "webhook.fullname" . }}
        namespace: {{ .Release.Namespace }}
        path: /validate
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {{ include "webhook.fullname" . }}
  labels:
    {{- include "cert-manager.labels" . | nindent 4 }}
    {{- include "cert-manager.selectorLabels" (list . "webhook") | nindent 4 }}
  annotations:
    cert-manager.io/inject-ca-from-secret: {{ printf "%s/%s-ca" .Release.Namespace (include "webhook.fullname" .) | quote }}
webhooks:
  - name: webhook.cert-manager.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: Ignore
    timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
    rules:
      - apiGroups: ["cert-manager.io"]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["certificaterequests"]
    clientConfig:
      service:
        name: {{ include "webhook.fullname" . }}
        namespace: {{ .Release.Namespace }}
        path: /mutate
