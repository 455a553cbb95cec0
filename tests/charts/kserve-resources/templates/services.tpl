apiVersion: v1
kind: Service
metadata:
  name: kserve-webhook-server-service
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
spec:
  selector:
    {{- include "kserve-resources.selectorLabels" . | nindent 4 }}
  ports:
    - name: https-webhook
      port: 443
      targetPort: webhook-server
      protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: kserve-controller-manager-service
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
spec:
  selector:
    {{- include "kserve-resources.selectorLabels" . | nindent 4 }}
  ports:
    - name: https
      port: 8443
      targetPort: https
      protocol: TCP
