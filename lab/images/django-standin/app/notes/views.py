from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Note


def health(request):
    """200 only when the database answers a query."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except Exception as exc:  # noqa: BLE001 (any database error is "down")
        return HttpResponse(f"database down: {exc}\n", status=503)
    return HttpResponse("ok\n")


@csrf_exempt
def notes(request):
    """GET: the notes; POST text=...: add one (reads and writes the database)."""
    if request.method == "POST":
        Note.objects.create(text=request.POST.get("text", ""))
    return JsonResponse({"notes": list(Note.objects.order_by("id").values_list("text", flat=True))})
