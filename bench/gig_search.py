#!/usr/bin/env python3
"""Gig search under load: 100,000 gigs of varied text, the gig service under gunicorn, 8 clients.

    .venv/bin/python bench/gig_search.py [--gigs 100000] [--seconds 20] [--clients 8] [--reuse] [--single]

Creates its own database (``bench_search_marketplace_gigs``), migrates the gig service, and seeds it
with --gigs gigs (titles "I will …" from per-category vocabularies, descriptions of a few sentences,
1–5 tags, 1–3 packages, spread over every leaf category, 20,000 sellers, ratings and orders on most)
through COPY, with the search vector computed in SQL by the same expression as
``services._refresh_search_vector``, the typo correction's vocabulary rebuilt by the service's
``rebuild_search_words``; then VACUUM ANALYZE. --reuse keeps a database already seeded
with that many gigs (migrations still run, so a new index lands on it).

Then runs the gig service as ``manage_all.py up`` does (gunicorn, 2 gthread workers of 4 threads)
on a free port and loads ``GET /api/gigs/`` with --clients concurrent clients (threads, one
keep-alive httpx client each), one scenario after the other, each after a short warm-up:

  a. search: a two-word query (varied over realistic ones) with a price filter, ordered by relevance;
  b. browse: a category (top-level or leaf, varied) ordered by price.

Prints p50/p95/p99 and requests/s per scenario, and the CPU each request cost the service, its
PostgreSQL backends, the load generator and everything else on the machine (from /proc: a busy
machine shows there); --single adds a run with one client alone. Then every SQL statement one
request of each scenario runs, with EXPLAIN (ANALYZE, BUFFERS) of those on the gig table.
--service-dir runs another copy of projects/gigs (a before/after comparison on the same data).
Targets (issue 5): p95 <= 50 ms for (a), p95 <= 20 ms for (b); EXPLAIN shows the indexes in use.
Exit status 0 when both are met. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg

from _cpu import TICKS, group_ticks, machine_busy_ticks, process_ticks
from _platform import ROOT, bench_environment, database_url, percentile, recreate_database, running_processes

GIGS_DIR = ROOT / "projects" / "gigs"
DATABASE_PREFIX = "bench_search_marketplace_"
TARGETS_MS = {"search": 50.0, "browse": 20.0}

# --- the corpus ------------------------------------------------------------------------------------
# Per leaf category (slug of migration 0003): what its sellers offer ("I will …") and their tags.

VOCABULARY: dict[str, tuple[list[str], list[str]]] = {
    "logo-design": (["design a {adj} logo", "create a {adj} logo and brand mark", "redesign your logo",
                     "design a mascot logo", "draw a hand lettered signature logo", "vectorize your logo"],
                    ["logo", "logo design", "branding", "minimalist", "vector", "mascot", "emblem", "monogram"]),
    "brand-style-guides": (["create a brand style guide", "design a complete brand identity kit",
                            "build a brand book with typography and colors", "define your visual identity"],
                           ["brand guide", "branding", "style guide", "identity", "typography", "color palette"]),
    "illustration": (["draw a {adj} illustration", "illustrate your children book", "draw a cartoon portrait",
                      "create digital art of your character", "draw anime characters", "paint a watercolor portrait"],
                     ["illustration", "digital art", "cartoon", "anime", "character design", "children book",
                      "watercolor", "drawing"]),
    "web-and-app-design": (["design a {adj} website in figma", "design your mobile app ui",
                            "create a landing page design", "design a saas dashboard ui", "redesign your website ux"],
                           ["ui design", "ux design", "figma", "web design", "app design", "landing page",
                            "wireframe", "prototype"]),
    "packaging-design": (["design {adj} product packaging", "design a label for your bottle",
                          "create box packaging design", "design a coffee bag label"],
                         ["packaging", "label design", "box design", "product label", "dieline", "print ready"]),
    "social-media-design": (["design {adj} instagram posts", "create social media banners",
                             "design youtube thumbnails", "design facebook cover and ads", "create canva templates"],
                            ["social media", "instagram", "youtube thumbnail", "banner", "canva", "facebook",
                             "post design"]),
    "print-design": (["design a {adj} flyer", "design business cards", "design a brochure", "design a poster",
                      "design a restaurant menu"],
                     ["flyer", "business card", "brochure", "poster", "menu design", "print design", "print ready"]),
    "website-development": (["build a {adj} wordpress website", "develop a shopify store",
                             "create a responsive website", "build a webflow site",
                             "fix and speed up your wordpress site",
                             "develop a react frontend"],
                            ["wordpress", "shopify", "website", "web development", "react", "webflow", "html css",
                             "ecommerce", "woocommerce"]),
    "mobile-apps": (["develop a {adj} ios and android app", "build a flutter mobile app",
                     "create a react native app", "publish your app to the app store", "fix bugs in your android app"],
                    ["mobile app", "flutter", "react native", "ios", "android", "swift", "kotlin", "app development"]),
    "backend-and-apis": (["build a rest api with django", "develop a fastapi backend", "build a node js api",
                          "integrate stripe payments into your api", "write a graphql server"],
                         ["api", "django", "python", "node js", "fastapi", "backend", "rest api", "graphql", "stripe"]),
    "databases": (["design your postgresql database", "optimize slow sql queries", "migrate your mysql database",
                   "set up mongodb for your app", "write complex sql reports"],
                  ["sql", "postgresql", "mysql", "mongodb", "database", "query optimization", "data modeling"]),
    "devops-and-cloud": (["set up aws infrastructure with terraform", "dockerize your application",
                          "configure ci cd pipelines", "deploy your app to kubernetes", "set up linux servers"],
                         ["aws", "docker", "kubernetes", "devops", "terraform", "ci cd", "linux", "cloud"]),
    "chatbots": (["build an ai chatbot for your website", "create a telegram bot", "develop a discord bot",
                  "build a whatsapp chatbot", "integrate openai gpt into your app"],
                 ["chatbot", "telegram bot", "discord bot", "ai", "gpt", "openai", "whatsapp", "automation"]),
    "bug-fixes": (["fix bugs in your {adj} website", "fix php and javascript errors", "debug your python script",
                   "fix wordpress errors and issues", "solve your css layout problems"],
                  ["bug fix", "debugging", "php", "javascript", "python", "wordpress", "css", "error"]),
    "data-science-and-ml": (["build a machine learning model", "train a deep learning model in pytorch",
                             "analyze your data with python and pandas", "build a computer vision model",
                             "fine tune an llm on your data"],
                            ["machine learning", "data science", "python", "pytorch", "tensorflow", "ai",
                             "deep learning", "nlp", "computer vision"]),
    "search-engine-optimization": (["do {adj} seo for your website", "perform a complete seo audit",
                                    "do keyword research for your niche", "build high quality backlinks",
                                    "optimize your local seo and google business profile"],
                                   ["seo", "seo audit", "backlinks", "keyword research", "on page seo", "local seo",
                                    "google ranking"]),
    "social-media-marketing": (["manage your instagram account", "grow your tiktok organically",
                                "be your social media manager", "create a social media content calendar",
                                "run your linkedin marketing"],
                               ["social media marketing", "instagram", "tiktok", "linkedin", "content calendar",
                                "growth", "social media manager"]),
    "email-marketing": (["set up mailchimp email campaigns", "write email newsletters", "design klaviyo email flows",
                         "build an email list for your business"],
                        ["email marketing", "mailchimp", "klaviyo", "newsletter", "email campaign", "automation"]),
    "paid-advertising": (["set up and manage google ads", "run facebook ads campaigns", "manage your tiktok ads",
                          "optimize your ppc campaigns", "set up meta pixel and conversion tracking"],
                         ["google ads", "facebook ads", "ppc", "meta ads", "advertising", "tiktok ads", "campaign"]),
    "content-marketing": (["create a content marketing strategy", "plan your content calendar",
                           "write engaging content for your brand", "repurpose your content for social media"],
                          ["content marketing", "content strategy", "content calendar", "brand", "storytelling"]),
    "marketing-strategy": (["create a {adj} marketing plan", "analyze your competitors",
                            "build a go to market strategy",
                            "audit your marketing funnel"],
                           ["marketing strategy", "marketing plan", "go to market", "funnel", "competitor analysis"]),
    "articles-and-blog-posts": (["write {adj} seo blog posts", "write articles on any topic",
                                 "write engaging blog articles", "write tech articles and tutorials",
                                 "write health and fitness articles"],
                                ["blog post", "article writing", "seo writing", "content writing", "blogging",
                                 "ghostwriting"]),
    "copywriting": (["write {adj} sales copy", "write website copy that converts", "write product descriptions",
                     "write a landing page copy", "write ad copy for your campaign"],
                    ["copywriting", "sales copy", "website copy", "product description", "ad copy", "conversion"]),
    "translation": (["translate english to spanish", "translate english to german", "translate your website",
                     "translate documents from french to english", "localize your app into japanese"],
                    ["translation", "spanish", "german", "french", "japanese", "localization", "english"]),
    "proofreading-and-editing": (["proofread and edit your document", "edit your novel", "proofread your thesis",
                                  "copy edit your book manuscript", "edit your academic paper"],
                                 ["proofreading", "editing", "grammar", "book editing", "academic editing",
                                  "manuscript"]),
    "technical-writing": (["write technical documentation", "write a user manual", "write api documentation",
                           "write a white paper", "write software release notes"],
                          ["technical writing", "documentation", "user manual", "api docs", "white paper"]),
    "resume-writing": (["write a {adj} resume", "write your cover letter", "optimize your linkedin profile",
                        "rewrite your cv for ats", "write an executive resume"],
                       ["resume", "cv", "cover letter", "linkedin", "ats", "career"]),
    "video-editing": (["edit your youtube videos", "do {adj} video editing", "edit your wedding video",
                       "edit reels and tiktok videos", "color grade your footage"],
                      ["video editing", "youtube", "reels", "tiktok", "premiere pro", "color grading", "vlog"]),
    "animated-explainers": (["create a {adj} explainer video", "make a 2d animated explainer",
                             "create a whiteboard animation",
                             "animate your product demo"],
                            ["explainer video", "animation", "2d animation", "whiteboard", "motion", "saas video"]),
    "motion-graphics": (["create a logo animation", "design motion graphics", "animate your lower thirds",
                         "create a {adj} intro for your channel"],
                        ["motion graphics", "logo animation", "after effects", "intro", "animation"]),
    "short-video-ads": (["create short video ads for facebook", "make ugc video ads", "edit product video ads",
                         "create tiktok video ads"],
                        ["video ads", "ugc", "facebook ads", "tiktok", "product video", "commercial"]),
    "subtitles-and-captions": (["add subtitles to your video", "transcribe and caption your videos",
                                "create srt subtitles in english", "add animated captions to reels"],
                               ["subtitles", "captions", "srt", "transcription", "closed captions"]),
    "voice-over": (["record a {adj} voice over", "be your male voice over artist", "record a female british voice over",
                    "record an audiobook narration", "record a voice for your commercial"],
                   ["voice over", "voiceover", "narration", "audiobook", "british", "american", "commercial"]),
    "mixing-and-mastering": (["mix and master your song", "master your track for streaming", "mix your hip hop vocals",
                              "professionally mix your podcast audio"],
                             ["mixing", "mastering", "audio", "vocals", "hip hop", "music production"]),
    "podcast-editing": (["edit your podcast episode", "produce your podcast", "clean up your podcast audio",
                         "create podcast show notes"],
                        ["podcast", "podcast editing", "audio editing", "show notes", "noise removal"]),
    "songwriting": (["write lyrics for your song", "compose an original song", "write a jingle for your brand",
                     "write a custom birthday song"],
                    ["songwriting", "lyrics", "jingle", "composer", "music", "song"]),
    "sound-design": (["create sound effects for your game", "design sound for your film", "compose game music",
                      "create ambient soundscapes"],
                     ["sound design", "sound effects", "game audio", "film", "soundscape"]),
    "virtual-assistance": (["be your virtual assistant", "manage your email and calendar", "do online research",
                            "handle your customer support", "manage your amazon store"],
                           ["virtual assistant", "admin support", "email management", "research", "customer service",
                            "amazon"]),
    "market-research": (["do market research for your startup", "analyze your industry and competitors",
                         "run customer surveys", "research your target audience"],
                        ["market research", "competitor analysis", "survey", "industry analysis", "startup"]),
    "business-plans": (["write a {adj} business plan", "write an investor ready business plan",
                        "create a pitch deck for investors", "write a business plan for your restaurant"],
                       ["business plan", "pitch deck", "startup", "investor", "financial projections"]),
    "financial-consulting": (["build a financial model in excel", "do bookkeeping in quickbooks",
                              "prepare your financial statements", "create a startup financial forecast"],
                             ["financial model", "excel", "bookkeeping", "quickbooks", "accounting", "forecast"]),
    "legal-consulting": (["draft a privacy policy", "review your contract", "draft terms and conditions",
                          "register your trademark"],
                         ["legal", "contract", "privacy policy", "terms and conditions", "trademark", "gdpr"]),
    "project-management": (["manage your software project", "set up jira and agile boards", "be your scrum master",
                            "plan your project in asana"],
                           ["project management", "jira", "agile", "scrum", "asana", "planning"]),
    "data-entry": (["do fast and accurate data entry", "copy paste data into excel", "convert pdf to excel",
                    "type your documents", "clean your product catalog data"],
                   ["data entry", "excel", "pdf conversion", "typing", "copy paste", "spreadsheet"]),
    "data-analysis": (["analyze your data in excel", "do statistical analysis in spss", "analyze data with python",
                       "build excel formulas and pivot tables", "analyze your survey results"],
                      ["data analysis", "excel", "spss", "statistics", "python", "pivot table", "rstudio"]),
    "data-visualization": (["build a {adj} power bi dashboard", "create tableau dashboards", "visualize your data",
                            "build looker studio reports"],
                           ["power bi", "tableau", "dashboard", "data visualization", "looker studio", "charts"]),
    "web-scraping": (["scrape any website with python", "build a web scraper", "extract data from websites",
                      "scrape leads and emails", "automate data collection with selenium"],
                     ["web scraping", "python", "scraper", "selenium", "data extraction", "lead generation"]),
    "product-photography": (["take {adj} product photos", "shoot amazon product photography",
                             "photograph your jewelry on white background", "create lifestyle product photos"],
                            ["product photography", "amazon", "white background", "ecommerce", "jewelry", "lifestyle"]),
    "photo-editing-and-retouching": (["remove the background of your images", "retouch your portraits",
                                      "edit your photos in photoshop", "restore old photos", "do photo manipulation"],
                                     ["photo editing", "background removal", "photoshop", "retouching",
                                      "photo restoration", "lightroom"]),
    "portrait-photography": (["take professional headshots", "shoot your family portraits", "edit your portrait photos",
                              "take linkedin profile photos"],
                             ["portrait", "headshot", "photography", "linkedin", "family photos"]),
    "online-tutoring": (["teach you english online", "tutor you in math", "teach you python programming",
                         "help you prepare for the ielts", "teach you spanish conversation"],
                        ["tutoring", "english", "math", "python", "ielts", "spanish", "lessons"]),
    "fitness-coaching": (["create a {adj} workout plan", "be your online fitness coach", "create a meal plan",
                          "design a weight loss program"],
                         ["fitness", "workout plan", "meal plan", "weight loss", "personal trainer", "nutrition"]),
    "cooking-lessons": (["teach you to cook italian food", "create vegan recipes", "teach you to bake bread",
                         "plan healthy meals for your family"],
                        ["cooking", "recipes", "vegan", "baking", "meal prep", "italian"]),
    "travel-planning": (["plan your trip to japan", "create a travel itinerary", "plan your honeymoon",
                         "find cheap flights and hotels"],
                        ["travel", "itinerary", "trip planning", "japan", "honeymoon", "budget travel"]),
}

ADJECTIVES = ["modern", "minimalist", "professional", "unique", "custom", "creative", "high quality", "premium",
              "clean", "elegant", "responsive", "stunning", "simple", "bold", "affordable", "fast"]
QUALIFIERS = ["", "", "", "for your business", "for your startup", "in 24 hours", "for your brand",
              "with unlimited revisions", "for small businesses", "professionally", "quickly", "for your company",
              "in 48 hours", "for ecommerce", "that converts", "for beginners", "with source files"]
OPENINGS = [
    "Hi, I am a {role} with {years} years of experience and more than {jobs} completed projects.",
    "Welcome to my gig! I have been working as a {role} since {since}.",
    "Looking for a reliable {role}? You are in the right place.",
    "I am a full time {role} who loves helping clients from all over the world.",
    "Are you looking for someone to {phrase}? I can help.",
]
MIDDLES = [
    "In this gig I will {phrase} tailored to your needs.",
    "I specialize in {tag1} and {tag2}, and every order gets my full attention.",
    "My work covers {tag1}, {tag2} and {tag3}.",
    "You will get {adj} results, delivered on time.",
    "I follow a clear process: we discuss your goals, I deliver a first draft, and we refine it together.",
    "Every project starts with a short brief so that I understand your audience and goals.",
]
CLOSINGS = [
    "Clear communication and fast turnaround are guaranteed.",
    "Please message me before placing an order so we can discuss your project.",
    "Customer satisfaction is my top priority, with revisions until you are happy.",
    "I reply within a few hours and deliver on time, every time.",
    "Order now and let's get started!",
    "Source files and commercial use rights are included in the premium package.",
]
ROLES = {"graphics-and-design": "graphic designer", "programming-and-tech": "software developer",
         "digital-marketing": "digital marketer", "writing-and-translation": "writer",
         "video-and-animation": "video editor", "music-and-audio": "audio engineer",
         "business": "business consultant", "data": "data specialist", "photography": "photographer",
         "lifestyle": "coach"}
# Cheapest package per top-level category, log-uniform between these (USD-ish).
PRICE_RANGES = {"graphics-and-design": (5, 400), "programming-and-tech": (10, 2000), "digital-marketing": (10, 800),
                "writing-and-translation": (5, 300), "video-and-animation": (10, 600), "music-and-audio": (5, 400),
                "business": (10, 1000), "data": (5, 300), "photography": (5, 300), "lifestyle": (10, 200)}
CURRENCIES = ["USD"] * 16 + ["EUR"] * 2 + ["GBP", "CAD"]

# --- the scenarios ---------------------------------------------------------------------------------

SEARCH_QUERIES = [
    "logo design", "minimalist logo", "wordpress website", "shopify store", "seo audit", "keyword research",
    "voice over", "video editing", "youtube thumbnails", "data entry", "excel dashboard", "power bi",
    "python script", "web scraping", "mobile app", "flutter app", "blog posts", "product description",
    "business plan", "pitch deck", "social media", "instagram posts", "facebook ads", "google ads",
    "book editing", "resume writing", "cover letter", "translate spanish", "podcast editing", "mix master",
    "explainer video", "logo animation", "background removal", "product photography", "machine learning",
    "django api", "react website", "email newsletter", "landing page", "business cards", "fitness coach",
    "workout plan", "travel itinerary", "english tutor", "discord bot", "aws docker", "sql queries",
    "brand identity", "children book", "sales copy",
]
PRICE_FILTERS = [{"max_price": "100"}, {"min_price": "20", "max_price": "200"}, {"min_price": "50"},
                 {"max_price": "50"}, {"min_price": "10", "max_price": "500"}, {"max_price": "250"}]


def search_params(rng: random.Random, categories) -> dict:
    return {"q": rng.choice(SEARCH_QUERIES), **rng.choice(PRICE_FILTERS), "ordering": "relevance"}


def browse_params(rng: random.Random, categories) -> dict:
    return {"category": rng.choice(categories), "ordering": "price"}


SCENARIOS = {
    "search": ("a. two-word query + price filter, by relevance", search_params),
    "browse": ("b. category browse (top-level or leaf), by price", browse_params),
}


# --- database ------------------------------------------------------------------------------------





def seeded_count(env: dict, name: str) -> int | None:
    with psycopg.connect(database_url(env, "postgres"), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    with psycopg.connect(database_url(env, name)) as connection:
        if not connection.execute("SELECT to_regclass('catalog_gig')").fetchone()[0]:
            return None
        return connection.execute("SELECT count(*) FROM catalog_gig").fetchone()[0]




def migrate(env: dict, service_dir: Path) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=service_dir, env=env,
                   check=True)


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(env: dict, name: str, count: int, rng: random.Random) -> None:
    started = time.perf_counter()
    with psycopg.connect(database_url(env, name)) as connection, connection.cursor() as cursor:
        categories = cursor.execute("SELECT c.id, c.slug, p.slug FROM catalog_category c "
                                    "JOIN catalog_category p ON p.id = c.parent_id").fetchall()
        leaves = [(pk, slug, parent) for pk, slug, parent in categories if slug in VOCABULARY]
        missing = {slug for _, slug, _ in categories} - set(VOCABULARY)
        if missing:
            raise SystemExit(f"no vocabulary for categories {sorted(missing)}")
        # Some categories are busier than others, as on a real marketplace.
        weights = [rng.uniform(0.3, 3.0) for _ in leaves]
        cursor.execute("TRUNCATE catalog_gig_tags, catalog_package, catalog_gigimage, catalog_gig, catalog_tag, "
                       "catalog_seller RESTART IDENTITY CASCADE")

        sellers = [uuid.uuid4() for _ in range(max(10, count // 5))]
        first = ["alex", "maria", "john", "sara", "ahmed", "li", "yuki", "olga", "diego", "fatima", "tom", "nina",
                 "raj", "emma", "luca", "chen", "ana", "omar", "kate", "ivan"]
        _copy(cursor, "catalog_seller", ["user_id", "username", "display_name", "revision"],
              ((pk, f"{rng.choice(first)}_{index}", f"{rng.choice(first).title()} {chr(65 + index % 26)}.", 1)
               for index, pk in enumerate(sellers)))

        all_tags = sorted({tag for _, tags in VOCABULARY.values() for tag in tags})
        tag_ids = {tag: index + 1 for index, tag in enumerate(all_tags)}
        _copy(cursor, "catalog_tag", ["id", "name"], ((pk, tag) for tag, pk in tag_ids.items()))
        cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_tag', 'id'), %s)", [len(all_tags)])

        cursor.execute("CREATE TEMP TABLE staging_gig (LIKE catalog_gig INCLUDING DEFAULTS) ON COMMIT DROP")
        gig_rows, package_rows, tag_rows = [], [], []
        now = dt.datetime.now(dt.timezone.utc)
        statuses = ["active"] * 90 + ["paused"] * 5 + ["draft"] * 5
        for _ in range(count):
            category_id, slug, parent = rng.choices(leaves, weights)[0]
            phrases, vocabulary_tags = VOCABULARY[slug]
            adjective = rng.choice(ADJECTIVES)
            phrase = rng.choice(phrases).format(adj=adjective)
            title = f"I will {phrase} {rng.choice(QUALIFIERS)}".strip()[:100]
            tags = rng.sample(vocabulary_tags, rng.randint(1, min(5, len(vocabulary_tags))))
            picks = rng.sample(vocabulary_tags, 3)
            fill = {"role": ROLES[parent], "years": rng.randint(2, 15), "jobs": rng.choice([50, 100, 300, 1000]),
                    "since": rng.randint(2008, 2023), "phrase": phrase, "adj": adjective,
                    "tag1": picks[0], "tag2": picks[1], "tag3": picks[2]}
            sentences = [rng.choice(OPENINGS), *rng.sample(MIDDLES, rng.randint(1, 3)),
                         *rng.sample(CLOSINGS, rng.randint(1, 2))]
            description = " ".join(sentence.format(**fill) for sentence in sentences)
            low, high = PRICE_RANGES[parent]
            base = round(min(high, max(5.0, low * (high / low) ** rng.random())))
            days = rng.choice([1, 2, 3, 3, 5, 7, 7, 10, 14, 21, 30])
            tiers = rng.choice([1, 2, 2, 3, 3, 3])
            gig_id = uuid.uuid4()
            currency = rng.choice(CURRENCIES)
            for tier_index, tier in enumerate(["basic", "standard", "premium"][:tiers]):
                factor = (1, rng.uniform(1.5, 2.5), rng.uniform(2.5, 5))[tier_index]
                package_rows.append((gig_id, tier, f"{tier.title()} {phrase.split()[0]}"[:60],
                                     f"{tier.title()} package: {phrase}."[:600], f"{min(50000, base * factor):.2f}",
                                     currency, min(90, days + tier_index * rng.randint(1, 7)),
                                     None if tier_index == 2 and rng.random() < 0.5 else rng.randint(0, 5)))
            tag_rows.extend((gig_id, tag_ids[tag]) for tag in tags)
            rated = rng.random() < 0.6
            rating_count = int(rng.paretovariate(1.2)) if rated else 0
            status = rng.choice(statuses)
            created = now - dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
            gig_rows.append((gig_id, rng.choice(sellers), title, description, category_id, status, False,
                             f"{base:.2f}", currency, days, " ".join(tags),
                             f"{rng.uniform(3.5, 5.0):.2f}" if rated else None, rating_count,
                             rating_count + int(rng.paretovariate(1.1)) - 1 if rated else 0, 1, created, created,
                             created + dt.timedelta(days=1) if rng.random() < 0.02 else None))
        columns = ["id", "seller_id", "title", "description", "category_id", "status", "paused_by_staff",
                   "price_from", "currency", "fastest_delivery_days", "tags_text", "rating_avg", "rating_count",
                   "orders_count", "revision", "created_at", "updated_at", "deleted_at"]
        _copy(cursor, "staging_gig", columns, gig_rows)
        # The expression services._refresh_search_vector has Django build (SearchVector ... weight A/B/C).
        cursor.execute(f"""
            INSERT INTO catalog_gig ({', '.join(columns)}, search_vector)
            SELECT {', '.join(columns)},
                   setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
                   || setweight(to_tsvector('english'::regconfig, COALESCE(tags_text, '')), 'B')
                   || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'C')
            FROM staging_gig""")
        _copy(cursor, "catalog_package", ["gig_id", "tier", "title", "description", "price", "currency",
                                          "delivery_days", "revisions"], package_rows)
        _copy(cursor, "catalog_gig_tags", ["gig_id", "tag_id"], tag_rows)
        connection.commit()
    # The typo correction's vocabulary, from the seeded titles and tags, by the service's own command.
    subprocess.run([sys.executable, str(ROOT / "manage_all.py"), "run", "gigs", "rebuild_search_words"], cwd=ROOT,
                   env={**env, "MARKETPLACE_DATABASE_PREFIX": name.removesuffix("gigs")}, check=True,
                   stdout=subprocess.DEVNULL)
    with psycopg.connect(database_url(env, name), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    print(f"seeded {count} gigs, {len(package_rows)} packages, {len(tag_rows)} tag links "
          f"in {time.perf_counter() - started:.1f} s", flush=True)


# --- the service -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_service(env: dict, port: int, service_dir: Path):
    from devtools.processes import web_command

    base_url = f"http://127.0.0.1:{port}"
    commands = {"gig_search": (web_command(service_dir, port, asgi=False, env=env).split(), service_dir)}
    is_up = lambda: httpx.get(f"{base_url}/api/gigs/categories/", timeout=2).status_code == 200  # noqa: E731
    with running_processes(commands, env=env, log_dir=Path(env["MARKETPLACE_VAR_DIR"]), is_up=is_up,
                           what="gig service") as pids:
        yield base_url, pids["gig_search"]


# --- where the CPU goes ---------------------------------------------------------------------------

class CpuMeter:
    """CPU seconds of the service (gunicorn's process group), of the PostgreSQL backends serving the
    bench database, of this process (the load generator), and of the whole machine."""

    def __init__(self, env: dict, database: str, service_pgid: int):
        self.connection = psycopg.connect(database_url(env, database), autocommit=True)
        self.database, self.service_pgid = database, service_pgid

    def _backends(self) -> dict[int, int]:
        pids = [row[0] for row in self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.database])]
        return {pid: process_ticks(pid) for pid in pids}

    def snapshot(self) -> dict:
        return {"service": group_ticks(self.service_pgid),
                "backends": self._backends(), "client": time.process_time(), "machine": machine_busy_ticks(),
                "wall": time.monotonic()}

    @staticmethod
    def per_request_ms(before: dict, after: dict, requests: int) -> dict:
        service = (after["service"] - before["service"]) / TICKS
        postgres = sum(ticks - before["backends"].get(pid, 0) for pid, ticks in after["backends"].items()) / TICKS
        client = after["client"] - before["client"]
        machine = (after["machine"] - before["machine"]) / TICKS
        wall = after["wall"] - before["wall"]
        return {"service": 1000 * service / requests, "postgres": 1000 * postgres / requests,
                "client": 1000 * client / requests,
                "other": 1000 * max(0.0, machine - service - postgres - client) / requests,
                "busy": machine / wall / (os.cpu_count() or 1)}

def load(base_url: str, make_params, categories, *, clients: int, seconds: float, seed: int,
         meter: CpuMeter | None = None) -> dict:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    counts: list[list[int]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with httpx.Client(base_url=base_url, timeout=30) as http:
            http.get("/api/gigs/categories/")
            start.wait()
            while time.perf_counter() < stop_at[0]:
                path = "/api/gigs/?" + urlencode(make_params(rng, categories))
                began = time.perf_counter()
                response = http.get(path)
                latencies[index].append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {path}")
                else:
                    counts[index].append(response.json()["count"])

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds + 0.2
    before = meter.snapshot() if meter else None
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    after = meter.snapshot() if meter else None
    values = [value for per_client in latencies for value in per_client]
    matched = [value for per_client in counts for value in per_client]
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return {"requests": len(values), "rps": len(values) / elapsed, "p50": percentile(values, 0.50),
            "p95": percentile(values, 0.95), "p99": percentile(values, 0.99),
            "mean_count": statistics.mean(matched) if matched else 0,
            "cpu": CpuMeter.per_request_ms(before, after, len(values)) if meter else None}


# --- EXPLAIN ---------------------------------------------------------------------------------------

def setup_django(env: dict, service_dir: Path) -> None:
    os.environ.update(env)
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", MARKETPLACE_LOG_LEVEL="WARNING")  # no access log
    sys.path.insert(0, str(service_dir))
    import django

    django.setup()


def explain_request(params: dict) -> None:
    """Runs one request in-process, then EXPLAIN (ANALYZE, BUFFERS) of each statement on the gig table."""
    from django.db import connection
    from django.test import Client

    statements: list[tuple[str, tuple]] = []

    def capture(execute, sql, sql_params, many, context):
        statements.append((sql, tuple(sql_params or ())))
        return execute(sql, sql_params, many, context)

    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/api/gigs/", params)  # warm: connection, caches
    with connection.execute_wrapper(capture):
        response = client.get("/api/gigs/", params)
    assert response.status_code == 200, response.content
    print(f"\n### GET /api/gigs/?{urlencode(params)} -> count {response.json()['count']}, "
          f"{len(statements)} SQL statements")
    with connection.cursor() as cursor:
        for sql, sql_params in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {sql}", sql_params)
            plan = [row[0] for row in cursor.fetchall()]
            execution = next((line for line in reversed(plan) if line.startswith("Execution Time")), "")
            short = " ".join(sql.split())
            short = short if len(short) <= 150 else short[:147] + "..."
            print(f"\n-- {execution.replace('Execution Time: ', '')}: {short}")
            if 'FROM "catalog_gig"' in sql:
                print("\n".join(f"   {line}" for line in plan))


# --- main ------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per scenario")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each scenario")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already has --gigs gigs")
    parser.add_argument("--single", action="store_true", help="also measure each scenario with one client alone")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--service-dir", type=Path, default=GIGS_DIR,
                        help="another copy of projects/gigs to run (to compare before and after a change)")
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append", help="run only these scenarios")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stops the service on the way out, as Ctrl-C does

    env = bench_environment(MARKETPLACE_DATABASE_PREFIX=DATABASE_PREFIX,
                            PYTHONUNBUFFERED="1")
    name = f"{DATABASE_PREFIX}gigs"
    rng = random.Random(20261127)
    if args.reuse and seeded_count(env, name) == args.gigs:
        migrate(env, args.service_dir)
        print(f"reusing {name} ({args.gigs} gigs)", flush=True)
    else:
        recreate_database(env, name)
        migrate(env, args.service_dir)
        seed(env, name, args.gigs, rng)
    with psycopg.connect(database_url(env, name)) as connection:
        categories = [row[0] for row in connection.execute("SELECT slug FROM catalog_category ORDER BY id")]
        table_size = connection.execute("SELECT pg_size_pretty(pg_total_relation_size('catalog_gig'))").fetchone()[0]
        server = connection.execute("SHOW server_version").fetchone()[0]
    print(f"catalog_gig with its indexes: {table_size}; PostgreSQL {server}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    chosen = args.only or list(SCENARIOS)
    results, unloaded = {}, {}
    with running_service(env, free_port(), args.service_dir) as (base_url, service_pgid):
        meter = CpuMeter(env, name, service_pgid)
        for index, key in enumerate(chosen):
            label, make_params = SCENARIOS[key]
            load(base_url, make_params, categories, clients=args.clients, seconds=args.warmup, seed=100 + index)
            r = results[key] = load(base_url, make_params, categories, clients=args.clients, seconds=args.seconds,
                                    seed=index, meter=meter)
            cpu = r["cpu"]
            print(f"{label}: {r['requests']} requests, {r['rps']:.0f}/s, p50 {r['p50']:.1f} ms, "
                  f"p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms (mean count {r['mean_count']:.0f})\n"
                  f"   CPU ms per request: service {cpu['service']:.1f}, PostgreSQL {cpu['postgres']:.1f}, "
                  f"load generator {cpu['client']:.1f}, other processes {cpu['other']:.1f}; "
                  f"machine {100 * cpu['busy']:.0f}% busy", flush=True)
            if args.single:
                u = unloaded[key] = load(base_url, make_params, categories, clients=1, seconds=args.seconds / 2,
                                         seed=200 + index)
                print(f"   one client alone: {u['rps']:.0f}/s, p50 {u['p50']:.1f} ms, p95 {u['p95']:.1f} ms, "
                      f"p99 {u['p99']:.1f} ms", flush=True)
        meter.connection.close()

    if not args.no_explain:
        setup_django(env, args.service_dir)
        examples = {"search": {"q": "logo design", "max_price": "100", "ordering": "relevance"},
                    "browse_top": {"category": "programming-and-tech", "ordering": "price"},
                    "browse_leaf": {"category": "logo-design", "ordering": "price"}}
        for key, params in examples.items():
            if key.split("_")[0] in chosen:
                explain_request(params)

    print(f"\nGET /api/gigs/, {args.clients} clients, {args.seconds:g} s per scenario, {args.gigs} gigs, "
          f"{dt.date.today()}, load average now {os.getloadavg()[0]:.2f}")
    print("| scenario | clients | requests/s | p50 ms | p95 ms | p99 ms | CPU ms/request: service, PostgreSQL, "
          "load generator, other processes | target p95 |\n|---|---|---|---|---|---|---|---|")
    met = True
    for key, r in results.items():
        ok = r["p95"] <= TARGETS_MS[key]
        met &= ok
        cpu = r["cpu"]
        print(f"| {SCENARIOS[key][0]} | {args.clients} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
              f"{r['p99']:.1f} | {cpu['service']:.1f}, {cpu['postgres']:.1f}, {cpu['client']:.1f}, "
              f"{cpu['other']:.1f} | ≤ {TARGETS_MS[key]:g} ms {'met' if ok else 'MISSED'} |")
        if key in unloaded:
            u = unloaded[key]
            print(f"| {SCENARIOS[key][0]} | 1 | {u['rps']:.0f} | {u['p50']:.1f} | {u['p95']:.1f} | {u['p99']:.1f} "
                  f"| | |")
    print("targets met" if met else "TARGETS MISSED")
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
