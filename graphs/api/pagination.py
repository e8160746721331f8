"""API v1's pages of graphs, as its schema describes them: pages count from 1."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class GraphPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """Pages count from 1: `page=0` or a non-number is a 400 naming the parameter (DRF's answer, a
        404 "Invalid page.", is kept for pages past the last, as the schema says)."""
        number = super().get_page_number(request, paginator)
        if number in self.last_page_strings:
            return number
        if not str(number).isdigit() or int(number) < 1:
            raise serializers.ValidationError({"page": ["a page number from 1"]})
        return number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
