{{- if .Values.fixture.webhooks.enabled }}
{{- /* Scoped to the release namespace: a webhook nobody answers must not block the rest of the shared test cluster. */}}
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {{ include "kserve-resources.clusterName" (list . "inferenceservice.serving.kserve.io") }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
  annotations:
    cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/serving-cert
webhooks:
  - name: inferenceservice.kserve-webhook-server.defaulter
    admissionReviewVersions: ["v1", "v1beta1"]
    sideEffects: None
    failurePolicy: {{ .Values.fixture.webhooks.failurePolicy }}
    timeoutSeconds: 5
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: {{ .Release.Namespace }}
    clientConfig:
      service:
        name: kserve-webhook-server-service
        namespace: {{ .Release.Namespace }}
        path: /mutate-serving-kserve-io-v1beta1-inferenceservice
    rules:
      - apiGroups: ["serving.kserve.io"]
        apiVersions: ["v1beta1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["inferenceservices"]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {{ include "kserve-resources.clusterName" (list . "inferenceservice.serving.kserve.io") }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
  annotations:
    cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/serving-cert
webhooks:
  - name: inferenceservice.kserve-webhook-server.validator
    admissionReviewVersions: ["v1", "v1beta1"]
    sideEffects: None
    failurePolicy: {{ .Values.fixture.webhooks.failurePolicy }}
    timeoutSeconds: 5
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: {{ .Release.Namespace }}
    clientConfig:
      service:
        name: kserve-webhook-server-service
        namespace: {{ .Release.Namespace }}
        path: /validate-serving-kserve-io-v1beta1-inferenceservice
    rules:
      - apiGroups: ["serving.kserve.io"]
        apiVersions: ["v1beta1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["inferenceservices"]
{{- end }}
