apiVersion: v1
kind: Service
metadata:
  name: operator-webhook
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
    app.kubernetes.io/component: operator-webhook
spec:
  selector:
    role: operator-webhook
  ports:
    - name: https-webhook
      port: 443
      targetPort: 8443
