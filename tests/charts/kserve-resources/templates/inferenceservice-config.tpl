{{- if include "kserve-resources.configEnabled" . }}
{{- $gw := .Values.kserve.controller.gateway }}
{{- $agentImage := include "kserve-resources.image" (list . .Values.kserve.agent) }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: inferenceservice-config
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-resources.labels" . | nindent 4 }}
data:
  # Each key holds a JSON document, as in KServe's chart.
  deploy: |-
    {{- dict "defaultDeploymentMode" .Values.kserve.controller.deploymentMode | toPrettyJson | nindent 4 }}
  ingress: |-
    {{- dict
          "enableGatewayApi" $gw.ingressGateway.enableGatewayApi
          "kserveIngressGateway" $gw.ingressGateway.kserveGateway
          "ingressGateway" $gw.ingressGateway.gateway
          "localGateway" $gw.localGateway.gateway
          "localGatewayService" $gw.localGateway.gatewayService
          "ingressClassName" $gw.ingressGateway.className
          "ingressDomain" $gw.domain
          "domainTemplate" $gw.domainTemplate
          "urlScheme" $gw.urlScheme
          "disableIstioVirtualHost" $gw.disableIstioVirtualHost
          "disableIngressCreation" $gw.disableIngressCreation
        | toPrettyJson | nindent 4 }}
  storageInitializer: |-
    {{- $s := .Values.kserve.storage }}
    {{- dict
          "image" (include "kserve-resources.image" (list . $s))
          "memoryRequest" $s.resources.requests.memory
          "memoryLimit" $s.resources.limits.memory
          "cpuRequest" $s.resources.requests.cpu
          "cpuLimit" $s.resources.limits.cpu
          "caBundleConfigMapName" $s.caBundleConfigMapName
          "caBundleVolumeMountPath" $s.caBundleVolumeMountPath
          "enableModelcar" $s.enableModelcar
          "cpuModelcar" $s.cpuModelcar
          "memoryModelcar" $s.memoryModelcar
          "uidModelcar" $s.uidModelcar
        | toPrettyJson | nindent 4 }}
  agent: |-
    {{- dict "image" $agentImage "memoryRequest" "100Mi" "memoryLimit" "1Gi" "cpuRequest" "100m" "cpuLimit" "1" | toPrettyJson | nindent 4 }}
  logger: |-
    {{- dict "image" $agentImage "memoryRequest" "100Mi" "memoryLimit" "1Gi" "cpuRequest" "100m" "cpuLimit" "1"
          "defaultUrl" "http://default-broker" | toPrettyJson | nindent 4 }}
  batcher: |-
    {{- dict "image" $agentImage "memoryRequest" "1Gi" "memoryLimit" "1Gi" "cpuRequest" "1" "cpuLimit" "1"
          "maxBatchSize" "32" "maxLatency" "5000" | toPrettyJson | nindent 4 }}
  router: |-
    {{- dict "image" (include "kserve-resources.image" (list . .Values.kserve.router)) "memoryRequest" "100Mi"
          "memoryLimit" "1Gi" "cpuRequest" "100m" "cpuLimit" "1" "imagePullPolicy" .Values.kserve.router.imagePullPolicy
        | toPrettyJson | nindent 4 }}
  credentials: |-
    {{- dict "storageSpecSecretName" "storage-config" "storageSecretNameAnnotation" "serving.kserve.io/storageSecretName"
          | toPrettyJson | nindent 4 }}
  inferenceService: |-
    {{- dict "resource" (dict "cpuLimit" "1" "memoryLimit" "2Gi" "cpuRequest" "1" "memoryRequest" "2Gi") | toPrettyJson | nindent 4 }}
  security: |-
    {{- dict "autoMountServiceAccountToken" true | toPrettyJson | nindent 4 }}
{{- end }}
