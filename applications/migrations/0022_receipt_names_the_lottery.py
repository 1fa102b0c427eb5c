"""The default receipt says how a lottery, a tender or a pro-rata opening orders its applications, not a place in
the order of arrival. Only a default text nobody has changed is replaced: an administrator's own text stays."""

from django.db import migrations

OLD = '<p>Op {{ submitted_on }} hebben wij uw aanvraag voor de regeling {{ scheme_name }} ontvangen. Uw aanvraag heeft het\nkenmerk <strong>{{ reference }}</strong>. Vermeld dit kenmerk altijd als u contact met ons opneemt.</p>\n<h2>Wat gebeurt er nu?</h2>\n<p>Uw aanvraag is volledig ontvangen op {{ complete_on }}{% if queue_position %} en staat op plaats {{ queue_position }} in de\nvolgorde van binnenkomst van de openstelling ‘{{ opening_name }}’{% endif %}. Wij beoordelen uw aanvraag aan de hand van de\nvoorwaarden van de regeling. U hebt {{ amount_requested }} aangevraagd; dat is het bedrag waarop wij uw aanvraag\nbeoordelen.</p>\n<p>Wij nemen uiterlijk op <strong>{{ decision_due }}</strong> een besluit: {{ decision_term_weeks }} weken\n{{ term_from|default:"na ontvangst van uw aanvraag" }} (artikel 4:13 van de Algemene wet bestuursrecht). Vragen wij u om\neen aanvulling, dan schuift deze datum op met de tijd die u nodig hebt om aan te vullen, ten hoogste de termijn die wij\nu daarvoor geven (artikel 4:15).</p>\n<p>Deze brief is een ontvangstbevestiging (artikel 4:3a Awb) en nog geen besluit op uw aanvraag.</p>\n'

NEW = '<p>Op {{ submitted_on }} hebben wij uw aanvraag voor de regeling {{ scheme_name }} ontvangen. Uw aanvraag heeft het\nkenmerk <strong>{{ reference }}</strong>. Vermeld dit kenmerk altijd als u contact met ons opneemt.</p>\n<h2>Wat gebeurt er nu?</h2>\n<p>Uw aanvraag is volledig ontvangen op {{ complete_on }}{% if distribution == "lottery" %}. De volgorde van de\naanvragen in de openstelling ‘{{ opening_name }}’ wordt na de sluiting op {{ closes_on }} bepaald door loting; wanneer u\nbinnen de openstelling indiende, telt daarvoor niet{% elif distribution == "tender" %}. Na de sluiting op {{ closes_on }}\nworden de aanvragen in de openstelling ‘{{ opening_name }}’ gerangschikt op hun score (tender){% elif distribution == "pro_rata" %}.\nNa de sluiting op {{ closes_on }} wordt het subsidieplafond van de openstelling ‘{{ opening_name }}’ naar evenredigheid over de\naanvragen verdeeld{% elif queue_position %} en staat op plaats {{ queue_position }} in de volgorde van binnenkomst van de\nopenstelling ‘{{ opening_name }}’{% endif %}. Wij beoordelen uw aanvraag aan de hand van de voorwaarden van de regeling. U hebt {{ amount_requested }} aangevraagd; dat is het bedrag waarop wij uw aanvraag\nbeoordelen.</p>\n<p>Wij nemen uiterlijk op <strong>{{ decision_due }}</strong> een besluit: {{ decision_term_weeks }} weken\n{{ term_from|default:"na ontvangst van uw aanvraag" }} (artikel 4:13 van de Algemene wet bestuursrecht). Vragen wij u om\neen aanvulling, dan schuift deze datum op met de tijd die u nodig hebt om aan te vullen, ten hoogste de termijn die wij\nu daarvoor geven (artikel 4:15).</p>\n<p>Deze brief is een ontvangstbevestiging (artikel 4:3a Awb) en nog geen besluit op uw aanvraag.</p>\n'


def forwards(apps, schema_editor):
    LetterTemplate = apps.get_model("applications", "LetterTemplate")
    LetterTemplate.objects.filter(kind="receipt", scheme__isnull=True, body=OLD).update(body=NEW)


def backwards(apps, schema_editor):
    LetterTemplate = apps.get_model("applications", "LetterTemplate")
    LetterTemplate.objects.filter(kind="receipt", scheme__isnull=True, body=NEW).update(body=OLD)


class Migration(migrations.Migration):
    dependencies = [("applications", "0021_document_type")]

    operations = [migrations.RunPython(forwards, backwards)]
