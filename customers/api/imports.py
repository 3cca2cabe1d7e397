"""API for customer and order imports: ``POST /api/v1/imports/`` with a file (multipart)
queues a job; ``GET /api/v1/imports/{id}/`` reports its status and counts."""

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from carecrm.accounts.models import Department
from carecrm.channels import ConsentChannel
from carecrm.core.api import ScopedViewSetMixin, drf_validation_error
from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.core.scoping import visible_to
from customers.models import ExistingCustomerMode, ImportJob, ImportKind, ImportPreset
from customers.selectors_imports import can_download_rejected_rows, import_preview
from customers.services.importing import import_job_create, skip_reason_label
from customers.services.importing_consent import ConsentBasis


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=ImportKind.choices, default=ImportKind.CUSTOMERS)
    existing_mode = serializers.ChoiceField(
        choices=ExistingCustomerMode.choices, default=ExistingCustomerMode.UPDATE
    )
    dry_run = serializers.BooleanField(default=False)
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True
    )
    preset = serializers.PrimaryKeyRelatedField(
        queryset=ImportPreset.objects.all(), required=False, allow_null=True
    )
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='JSON object {"column header": "field"}; "" leaves a column out.',
    )

    consent_basis = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="What the file's consents rest on, e.g. 注册时同意 (customers only). Rows "
        "without a consent value for a covered channel are recorded as granted on it.",
    )
    consent_basis_date = serializers.DateField(required=False, allow_null=True)
    consent_basis_source = serializers.CharField(required=False, allow_blank=True, max_length=200)
    consent_basis_channels = serializers.MultipleChoiceField(
        choices=ConsentChannel.choices, required=False
    )

    def basis(self) -> ConsentBasis | None:
        return ConsentBasis.from_input(self.validated_data)

    def validate_preset(self, preset):
        if preset is not None:
            user = self.context["request"].user
            if not visible_to(user, ImportPreset.objects.filter(pk=preset.pk)).exists():
                raise serializers.ValidationError("Unknown preset.")
        return preset

    def validate_mapping(self, text: str) -> dict:
        if not text:
            return {}
        try:
            mapping = json.loads(text)
        except ValueError as exc:
            raise serializers.ValidationError(f"The mapping is not valid JSON: {exc}") from exc
        if not isinstance(mapping, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
        ):
            raise serializers.ValidationError(
                'The mapping must be a JSON object of strings: {"column": "field"}.'
            )
        return mapping


class ImportJobSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    created_by = serializers.StringRelatedField()
    progress_percent = serializers.IntegerField(read_only=True)
    skipped_reasons = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField()
    rejected_rows_url = serializers.SerializerMethodField()
    consent_basis = serializers.SerializerMethodField()
    reach = serializers.JSONField(
        read_only=True,
        help_text='Rows nobody could reach afterwards, per channel: {"sms": {"not_asked": n, '
        '"refused": n, "no_address": n}, …}',
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "status",
            "original_name",
            "dry_run",
            "existing_mode",
            "department",
            "created_by",
            "mapping",
            "total_rows",
            "processed_rows",
            "progress_percent",
            "created_count",
            "updated_count",
            "skipped_count",
            "rejected_count",
            "skipped_reasons",
            "preview",
            "rejected_rows_url",
            "consent_basis",
            "reach",
            "failure",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_skipped_reasons(self, job) -> dict[str, dict]:
        return {
            code: {"count": count, "label": skip_reason_label(code)}
            for code, count in job.skipped_reasons.items()
        }

    def get_preview(self, job) -> dict:
        table = import_preview(job, self.context["request"].user)
        return {
            "headers": [str(header) for header in table["headers"]],
            "rows": [
                {"row": row["row"], "action": row["action"], "cells": row["cells"]}
                for row in table["rows"]
            ],
            "masked": table["masked"],
        }

    def get_consent_basis(self, job) -> dict | None:
        basis = ConsentBasis.of(job)
        if basis is None:
            return None
        return {
            "basis": basis.basis,
            "date": basis.on.isoformat() if basis.on else None,
            "source": basis.source,
            "channels": list(basis.channels),
        }

    def get_rejected_rows_url(self, job) -> str | None:
        request = self.context["request"]
        if not job.error_report or not can_download_rejected_rows(request.user, job):
            return None
        return request.build_absolute_uri(f"/api/v1/imports/{job.pk}/rejected-rows/")


class ImportJobViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of customers or orders. Creating one stores the file and queues it; poll
    the job until ``status`` is ``done`` (or ``failed``)."""

    queryset = ImportJob.objects.select_related("department", "created_by").order_by(
        "-created_at", "-pk"
    )
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["kind", "status", "dry_run"]

    def get_serializer_class(self):
        return ImportCreateSerializer if self.action == "create" else ImportJobSerializer

    @extend_schema(request=ImportCreateSerializer, responses={201: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ImportCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            job = import_job_create(
                user=request.user,
                file=data["file"],
                kind=data["kind"],
                mapping=data.get("mapping") or {},
                existing_mode=data["existing_mode"],
                dry_run=data["dry_run"],
                department=data.get("department"),
                preset=data.get("preset"),
                consent_basis=serializer.basis(),
            )
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        body = ImportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="rejected-rows")
    def rejected_rows(self, request, pk=None):
        """The CSV of rejected rows with their reasons (uploader or PII permission only)."""
        job = self.get_object()
        if not job.error_report or not can_download_rejected_rows(request.user, job):
            raise Http404
        audit_record(
            actor=request.user,
            action=AuditAction.EXPORT,
            obj=job,
            detail={"rejected_rows": job.rejected_count},
            request=request,
        )
        return FileResponse(
            job.error_report.open("rb"),
            as_attachment=True,
            filename=f"import-{job.pk}-rejected-rows.csv",
            content_type="text/csv",
        )


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("imports", ImportJobViewSet, basename="import")
