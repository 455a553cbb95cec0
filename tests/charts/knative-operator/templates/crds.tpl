{{- /*
FIXTURE CRDs, written by hand for the tests. Knative writes the operator's CRDs by hand too (they are not generated
from Go types), so there is nothing to run controller-gen on. This schema keeps the fields the knative_serving role
sets (version, config, ingress, registry, high-availability, workloads) typed, and the status the operator reports.
Like Knative's chart, the CRDs are templates: `helm uninstall` removes them.
*/ -}}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: knativeservings.operator.knative.dev
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
spec:
  group: operator.knative.dev
  scope: Namespaced
  names:
    kind: KnativeServing
    listKind: KnativeServingList
    plural: knativeservings
    singular: knativeserving
    shortNames:
      - ks
  versions:
    - name: v1beta1
      served: true
      storage: true
      subresources:
        status: {}
      additionalPrinterColumns:
        - name: Version
          type: string
          jsonPath: .status.version
        - name: Ready
          type: string
          jsonPath: .status.conditions[?(@.type=="Ready")].status
        - name: Reason
          type: string
          jsonPath: .status.conditions[?(@.type=="Ready")].reason
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              type: object
              properties:
                version:
                  type: string
                config:
                  type: object
                  additionalProperties:
                    type: object
                    additionalProperties:
                      type: string
                ingress:
                  type: object
                  properties:
                    istio:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                      properties:
                        enabled:
                          type: boolean
                    kourier:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                      properties:
                        enabled:
                          type: boolean
                        service-type:
                          type: string
                    contour:
                      type: object
                      x-kubernetes-preserve-unknown-fields: true
                      properties:
                        enabled:
                          type: boolean
                registry:
                  type: object
                  properties:
                    default:
                      type: string
                    override:
                      type: object
                      additionalProperties:
                        type: string
                    imagePullSecrets:
                      type: array
                      items:
                        type: object
                        properties:
                          name:
                            type: string
                high-availability:
                  type: object
                  properties:
                    replicas:
                      type: integer
                      minimum: 0
                workloads:
                  type: array
                  items:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                security:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                controller-custom-certs:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                manifests:
                  type: array
                  items:
                    type: object
                    properties:
                      URL:
                        type: string
                additionalManifests:
                  type: array
                  items:
                    type: object
                    properties:
                      URL:
                        type: string
            status:
              type: object
              properties:
                observedGeneration:
                  type: integer
                version:
                  type: string
                manifests:
                  type: array
                  items:
                    type: string
                conditions:
                  type: array
                  items:
                    type: object
                    required:
                      - type
                      - status
                    properties:
                      type:
                        type: string
                      status:
                        type: string
                      severity:
                        type: string
                      reason:
                        type: string
                      message:
                        type: string
                      lastTransitionTime:
                        type: string
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: knativeeventings.operator.knative.dev
  labels:
    {{- include "knative-operator.labels" . | nindent 4 }}
spec:
  group: operator.knative.dev
  scope: Namespaced
  names:
    kind: KnativeEventing
    listKind: KnativeEventingList
    plural: knativeeventings
    singular: knativeeventing
    shortNames:
      - ke
  versions:
    - name: v1beta1
      served: true
      storage: true
      subresources:
        status: {}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
