"""The category tree buyers browse: the top-level categories of a general freelance marketplace."""

from django.db import migrations
from django.utils.text import slugify

TAXONOMY = [
    ("Graphics & Design", ["Logo Design", "Brand Style Guides", "Illustration", "Web & App Design",
                           "Packaging Design", "Social Media Design", "Print Design"]),
    ("Programming & Tech", ["Website Development", "Mobile Apps", "Backend & APIs", "Databases",
                            "DevOps & Cloud", "Chatbots", "Bug Fixes", "Data Science & ML"]),
    ("Digital Marketing", ["Search Engine Optimization", "Social Media Marketing", "Email Marketing",
                           "Paid Advertising", "Content Marketing", "Marketing Strategy"]),
    ("Writing & Translation", ["Articles & Blog Posts", "Copywriting", "Translation", "Proofreading & Editing",
                               "Technical Writing", "Resume Writing"]),
    ("Video & Animation", ["Video Editing", "Animated Explainers", "Motion Graphics", "Short Video Ads",
                           "Subtitles & Captions"]),
    ("Music & Audio", ["Voice Over", "Mixing & Mastering", "Podcast Editing", "Songwriting", "Sound Design"]),
    ("Business", ["Virtual Assistance", "Market Research", "Business Plans", "Financial Consulting",
                  "Legal Consulting", "Project Management"]),
    ("Data", ["Data Entry", "Data Analysis", "Data Visualization", "Web Scraping"]),
    ("Photography", ["Product Photography", "Photo Editing & Retouching", "Portrait Photography"]),
    ("Lifestyle", ["Online Tutoring", "Fitness Coaching", "Cooking Lessons", "Travel Planning"]),
]


def create(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for position, (name, children) in enumerate(TAXONOMY):
        parent = Category.objects.create(slug=slugify(name.replace("&", "and")), name=name, position=position)
        for child_position, child in enumerate(children):
            Category.objects.create(slug=slugify(child.replace("&", "and")), name=child, parent=parent,
                                    position=child_position)


def remove(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_postgres_search_indexes")]

    operations = [migrations.RunPython(create, remove)]
