{{/*
Chart name, or nameOverride; truncated to 63 characters, the limit of a DNS label.
*/}}
{{- define "hello-cluster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, the prefix of every resource; the release name alone when it already
contains the chart name. Dots, which release names allow, become dashes because a Service name
is a DNS label; truncated to 63 characters, the limit of a DNS label.
*/}}
{{- define "hello-cluster.fullname" -}}
{{- $fullname := .Values.fullnameOverride }}
{{- if not $fullname }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- $fullname = printf "%s-%s" .Release.Name $name }}
{{- if contains $name .Release.Name }}
{{- $fullname = .Release.Name }}
{{- end }}
{{- end }}
{{- $fullname | replace "." "-" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of one part's resources, `<fullname>-<component>`, within 63 characters. The full name is
shortened rather than the suffix, so long release names still give distinct names per part.
Takes a dict with `root` and `component`.
*/}}
{{- define "hello-cluster.componentName" -}}
{{- $prefix := include "hello-cluster.fullname" .root | trunc (int (sub 62 (len .component))) }}
{{- printf "%s-%s" ($prefix | trimSuffix "-") .component }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "hello-cluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Image tag: image.tag, else the chart's appVersion. `latest` is refused because a moving tag
makes rollouts and IfNotPresent pulls unpredictable.
*/}}
{{- define "hello-cluster.imageTag" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString }}
{{- if eq (lower $tag) "latest" }}
{{- fail "image.tag must not be `latest`: set an immutable tag such as 0.1.0-SNAPSHOT-abc1234" }}
{{- end }}
{{- $tag }}
{{- end }}

{{/*
Full image reference, repository and tag.
*/}}
{{- define "hello-cluster.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "hello-cluster.imageTag" .) }}
{{- end }}

{{/*
Common labels. The version label carries the deployed image tag (a label value holds at most
63 characters).
*/}}
{{- define "hello-cluster.labels" -}}
{{- $version := include "hello-cluster.imageTag" . | trunc 63 | trimSuffix "-" -}}
helm.sh/chart: {{ include "hello-cluster.chart" . }}
{{ include "hello-cluster.selectorLabels" . }}
app.kubernetes.io/version: {{ $version | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "hello-cluster.name" . }}
{{- end }}

{{/*
Selector labels shared by the pods of both roles: they make up the discovery label selector.
*/}}
{{- define "hello-cluster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hello-cluster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Selector labels of one role's pods. Takes a dict with `root` and `component`.
*/}}
{{- define "hello-cluster.componentSelectorLabels" -}}
{{ include "hello-cluster.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Label selector that Kubernetes API discovery lists pods with, `key=value,...`. Rendered from
the selectorLabels above, so it matches the pods of every role of this release and nothing
else; the component label is deliberately left out.
*/}}
{{- define "hello-cluster.podLabelSelector" -}}
{{- $pairs := list }}
{{- range $key, $value := include "hello-cluster.selectorLabels" . | fromYaml }}
{{- $pairs = append $pairs (printf "%s=%s" $key $value) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
Name of the ServiceAccount the app pods run as.
*/}}
{{- define "hello-cluster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hello-cluster.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}
