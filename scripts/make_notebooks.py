"""Write the lab notebooks (English and French) from one description, and run them.

Both languages come from the same list of cells, so their code cells cannot drift apart:
a cell's code is written once (a French variant is given only where comments or the
learner-facing strings of a check differ). The prose is written separately in each
language. ``tests/test_notebooks_in_step.py`` checks the committed notebooks stay in step.

    .venv/bin/python scripts/make_notebooks.py            # write the notebooks, no outputs
    .venv/bin/python scripts/make_notebooks.py --execute  # ... and run them to store outputs

nbval compares the stored outputs with a fresh run, so commit the notebooks *executed*.
Cell tags: ``nbval-ignore-output`` (output varies: timings, ids, sizes, builder output),
``localized`` (strings differ between languages), ``exercise``, ``solution``, ``check``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: nbformat ships no type information: used through an untyped handle
nbformat: Any = importlib.import_module("nbformat")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

IGNORE = "nbval-ignore-output"


@dataclass(frozen=True)
class Markdown:
    en: str
    fr: str


@dataclass(frozen=True)
class Code:
    source: str
    tags: tuple[str, ...] = ()
    #: the French cell when it differs (comments, or strings of a ``localized`` cell)
    fr: str | None = None
    #: fold the cell's source in JupyterLab (a solution the learner may peek at)
    hidden: bool = False


Cell = Markdown | Code


@dataclass(frozen=True)
class Lab:
    en_name: str
    fr_name: str
    cells: list[Cell] = field(default_factory=list)


def md(en: str, fr: str) -> Markdown:
    return Markdown(en.strip("\n"), fr.strip("\n"))


def code(source: str, *tags: str, fr: str | None = None, hidden: bool = False) -> Code:
    return Code(source.strip("\n"), tags, fr.strip("\n") if fr else None, hidden)


# ----------------------------------------------------------------------------- lab 01
APP_PY = """
%%writefile app.py
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello world!"


if __name__ == "__main__":
    app.run(host="0.0.0.0")
"""

SEED_DOCKERFILE = """
%%dockerfile
FROM python:3.13-alpine
RUN pip install flask
CMD ["python","app.py"]
COPY app.py /app.py
"""

SOLVED_DOCKERFILE = """
%%dockerfile
FROM python:3.13-alpine
RUN pip install flask
CMD ["python","app.py"]
COPY app.py /app.py
LABEL org.opencontainers.image.title="Python hello world"
"""

CHECK_EN = """
from pathlib import Path

import docker
from layerlab.dockerfile import parse

client = docker.from_env()
try:
    labelled = client.images.get("python-hello-world:labelled")
except docker.errors.ImageNotFound:
    labelled = None

if labelled is None:
    print("✗ There is no image python-hello-world:labelled yet: run the build cell above.")
else:
    base_labels = client.images.get("python:3.13-alpine").labels
    # labels the base image already had, and the kit's own bookkeeping, are not yours
    yours = {key: value for key, value in labelled.labels.items()
             if base_labels.get(key) != value and not key.startswith("org.layerlab.")}
    keywords = [i.keyword for i in parse(Path("Dockerfile").read_text()).instructions]
    if not yours:
        print("✗ The image has no label of yours: add a LABEL line to the Dockerfile, "
              "write it, and build again.")
    for key, value in yours.items():
        print(f"✓ The image carries your label {key}={value!r}.")
    if yours and "LABEL" in keywords:
        last_work = max(n for n, word in enumerate(keywords) if word in ("RUN", "COPY"))
        if keywords.index("LABEL") > last_work:
            print("✓ LABEL comes after RUN and COPY, so their cached layers can be reused; "
                  "the label itself adds no layer.")
        else:
            print("! LABEL sits above a RUN or COPY: every step under it had to run again. "
                  "Move it to the end to keep the cache.")
"""

CHECK_FR = """
from pathlib import Path

import docker
from layerlab.dockerfile import parse

client = docker.from_env()
try:
    labelled = client.images.get("python-hello-world:labelled")
except docker.errors.ImageNotFound:
    labelled = None

if labelled is None:
    print("✗ L'image python-hello-world:labelled n'existe pas encore : lancez la cellule "
          "de construction ci-dessus.")
else:
    base_labels = client.images.get("python:3.13-alpine").labels
    # les labels déjà présents dans l'image de base, et ceux du kit, ne sont pas les vôtres
    yours = {key: value for key, value in labelled.labels.items()
             if base_labels.get(key) != value and not key.startswith("org.layerlab.")}
    keywords = [i.keyword for i in parse(Path("Dockerfile").read_text()).instructions]
    if not yours:
        print("✗ L'image ne porte aucun label de votre part : ajoutez une ligne LABEL au "
              "Dockerfile, écrivez-le, puis reconstruisez.")
    for key, value in yours.items():
        print(f"✓ L'image porte votre label {key}={value!r}.")
    if yours and "LABEL" in keywords:
        last_work = max(n for n, word in enumerate(keywords) if word in ("RUN", "COPY"))
        if keywords.index("LABEL") > last_work:
            print("✓ LABEL vient après RUN et COPY : leurs couches en cache restent "
                  "utilisables, et le label lui-même n'ajoute aucune couche.")
        else:
            print("! LABEL est placé au-dessus d'un RUN ou d'un COPY : toutes les étapes "
                  "suivantes ont dû être refaites. Mettez-le à la fin pour garder le cache.")
"""

LAB01 = Lab(
    "01-build-your-first-image.ipynb",
    "01-construire-votre-premiere-image.ipynb",
    [
        md(
            """
# 01 · Build your first image

In this lab you package a tiny web application, a Flask "hello world", into a Docker
image. You write two files (the application and its Dockerfile), build the image, and then
look at what the engine made: the list of images, and the stack of layers inside yours.

**How this notebook works.** Every code cell talks to a real Docker Engine through the
*layerlab* kit. Where a lab in a terminal would have you type `docker …` commands, you run
*magics* (commands that start with `%`):

| in a terminal | in this notebook |
|---|---|
| write a `Dockerfile` in an editor | `%%dockerfile` (checks the file, then writes it) |
| `docker image build -t NAME .` | `%docker_build -t NAME .` |
| `docker image ls` | `%docker_images` |
| `docker history IMAGE` | `%docker_history IMAGE` |

Run the cells in order with **Shift+Enter**. Cells that check your work print ✓ or ✗.
""",
            """
# 01 · Construire votre première image

Dans ce labo, vous allez emballer une petite application web, un « hello world » écrit
avec Flask, dans une image Docker. Vous écrirez deux fichiers (l'application et son
Dockerfile), vous construirez l'image, puis vous regarderez ce que le moteur a produit : la
liste des images, et l'empilement de couches qui compose la vôtre.

**Comment fonctionne ce notebook.** Chaque cellule de code s'adresse à un vrai Docker
Engine par l'intermédiaire du kit *layerlab*. Là où un labo en terminal vous ferait taper
des commandes `docker …`, vous lancez des *magics* (des commandes qui commencent par `%`) :

| dans un terminal | dans ce notebook |
|---|---|
| écrire un `Dockerfile` dans un éditeur | `%%dockerfile` (vérifie le fichier, puis l'écrit) |
| `docker image build -t NOM .` | `%docker_build -t NOM .` |
| `docker image ls` | `%docker_images` |
| `docker history IMAGE` | `%docker_history IMAGE` |

Exécutez les cellules dans l'ordre avec **Maj+Entrée**. Les cellules qui vérifient votre
travail affichent ✓ ou ✗.
""",
        ),
        md(
            """
## A folder for the lab

The first cell loads the kit and moves into a folder of the lab's own, `work/lab01/`
next to this notebook, so the files you create do not mix with the notebooks. Running it
again is harmless.
""",
            """
## Un dossier pour le labo

La première cellule charge le kit puis se place dans un dossier réservé au labo,
`work/lab01/`, à côté de ce notebook : les fichiers que vous allez créer ne se mélangeront
pas aux notebooks. La relancer ne pose aucun problème.
""",
        ),
        code(
            """
import os
from pathlib import Path

%load_ext layerlab
%config Layerlab.language = "en"

# _dh[0] is the folder the notebook started in, so running this cell twice is safe
lab = Path(_dh[0]) / "work" / "lab01"
lab.mkdir(parents=True, exist_ok=True)
os.chdir(lab)
""",
            fr="""
import os
from pathlib import Path

%load_ext layerlab
%config Layerlab.language = "fr"

# _dh[0] est le dossier de départ du notebook : relancer cette cellule ne pose pas de souci
lab = Path(_dh[0]) / "work" / "lab01"
lab.mkdir(parents=True, exist_ok=True)
os.chdir(lab)
""",
        ),
        md(
            """
## The application

A few lines of Flask are enough: one web page that answers `hello world!`. The cell below
saves them in `app.py`.
""",
            """
## L'application

Quelques lignes de Flask suffisent : une page web qui répond `hello world!`. La cellule
ci-dessous les enregistre dans `app.py`.
""",
        ),
        code(APP_PY),
        md(
            """
Do you need Python and Flask on your computer to run this? No, and that is the point of
the lab. The image you are about to build carries its own Python interpreter and its own
copy of Flask. Any machine with a container engine can run it, whatever is installed on
the host, or not: no clash between the Python versions of different projects, no "it works
on my machine". (This notebook itself runs on Python because Jupyter does; the application
will not use that Python.)
""",
            """
Faut-il Python et Flask sur votre ordinateur pour faire tourner ce programme ? Non, et
c'est tout l'intérêt du labo. L'image que vous allez construire embarque son propre
interpréteur Python et sa propre copie de Flask. N'importe quelle machine dotée d'un moteur
de conteneurs pourra l'exécuter, quoi qu'il y ait d'installé sur l'hôte : plus de conflit
entre les versions de Python de vos différents projets, plus de « chez moi, ça marche ».
(Ce notebook tourne lui-même sous Python parce que Jupyter en a besoin ; l'application,
elle, n'utilisera pas ce Python-là.)
""",
        ),
        md(
            """
## The Dockerfile

A Dockerfile is a recipe: a list of instructions the engine follows, from top to bottom,
to produce an image. Ours has four lines. `%%dockerfile` checks the cell first (it refuses
a file with no `FROM`, a misspelt instruction, broken JSON…) and only then writes it to
`./Dockerfile`.
""",
            """
## Le Dockerfile

Un Dockerfile est une recette : une suite d'instructions que le moteur applique de haut en
bas pour fabriquer une image. Le nôtre tient en quatre lignes. `%%dockerfile` vérifie
d'abord la cellule (il refuse un fichier sans `FROM`, une instruction mal orthographiée, un
JSON mal formé…) et ne l'écrit qu'ensuite dans `./Dockerfile`.
""",
        ),
        code(SEED_DOCKERFILE),
        md(
            """
Let us go through it line by line.

### `FROM python:3.13-alpine`: where we start

Every Dockerfile begins with `FROM`. It names the image whose layers we build on.
`python` is the image's name (its *repository*) and `3.13-alpine` is a *tag* that picks a
variant: Python 3.13 on Alpine Linux. We start there because it already holds what our
application needs, a Python interpreter and pip, so we do not have to install them.

**Write the tag yourself.** With no tag, Docker assumes `:latest`, a marker the
maintainers move to each new release. `FROM python` could give you Python 3.13 today and
3.14 next month, and break your build while none of your files changed. With a pinned tag,
*you* decide when the base moves. The tags on offer are listed on the image's
[Docker Hub page](https://hub.docker.com/_/python).

**Pin a version that is still supported.** The first version of this lab used
`python:3.8-alpine`. Python 3.8 reached its end of life in October 2024: it gets no
security fixes any more, and the official image is no longer rebuilt for it. An image built
on it would keep known, unpatched vulnerabilities for ever. Python 3.13 is maintained
until October 2029 (see the [status of Python versions](https://devguide.python.org/versions/)).
When a version gets close to its end, change the tag on purpose and rebuild.

**Prefer official images.** Everything in the base image (files, users, vulnerabilities)
becomes part of yours, so know where it comes from. `python` is one of Docker Hub's
*Docker Official Images*: its Dockerfiles are public in
[docker-library/python](https://github.com/docker-library/python), every change is
reviewed through the [official-images](https://github.com/docker-library/official-images)
programme, it is rebuilt when its base gets security updates, and it comes with good
documentation (tags, variants, how to use it). Images from *Verified Publishers*, the
software vendors themselves, are the other sensible choice. An image from an account you
do not know could contain anything.

**Why Alpine?** [Alpine Linux](https://alpinelinux.org/) is a distribution built to be
tiny: its base image is about 8 MB, where a minimal install of many other distributions
is around 130 MB. It gets there with [musl](https://musl.libc.org/), a small C library
used instead of glibc, and [BusyBox](https://busybox.net/), one small program that provides
the usual Unix commands. A smaller image is quicker to download and to ship to every
machine that runs it, takes less disk there, and contains fewer programs an attacker could
abuse: a smaller *attack surface*. The price: some Python packages publish ready-built
wheels for glibc only, and have to be compiled on musl.

**Further up the chain.** `python:3.13-alpine` is itself built from a Dockerfile. That one
starts with `FROM alpine:…` and then runs the commands that fetch, compile and set up
Python ([the ones for 3.13](https://github.com/docker-library/python/tree/master/3.13)).
If you needed full control (another compile option, fewer tools), you could start from
`FROM alpine`, or another distribution, and write those steps yourself. To begin with,
pick the official image closest to what you need and let its maintainers do that work.

> **On this offline kit.** This machine cannot reach any registry, so nothing can be
> pulled from Docker Hub. Instead, the engine already holds a **local stand-in** tagged
> `python:3.13-alpine`: Python 3.13 and pip on *Debian*, built by the kit's setup scripts.
> It answers to the same name so the lab reads as it would online, but it is not Alpine:
> it uses glibc, it is much bigger (about 170 MB, as the image list below shows), and it
> carries the label `org.layerlab.standin-for`. Online, the engine would download the
> official image the first time you build.

### `RUN pip install flask`: work done at build time

`RUN` executes a command inside a temporary container *during the build*, then keeps the
files it changed as a new layer of the image. Here pip downloads Flask and installs it in
the image's Python. Installing packages, creating folders, changing permissions: that is
what `RUN` is for. It runs once, when the image is built, not each time the application
starts.

### `CMD ["python","app.py"]`: what a container runs

`CMD` does nothing during the build. It records, in the image's settings, the command a
container starts when it is run from this image: here, Python running our application.
The JSON form (a list of strings, in double quotes) starts the program directly, with no
shell in between.

An image has a single default command. When a Dockerfile holds several `CMD` lines, only
the last one counts. The same goes from one image to the next: the `python` base image has
a `CMD` of its own (`python3`, the interactive interpreter), and ours replaces it.
`%%dockerfile` warns you when a file has more than one `CMD`:
""",
            """
Reprenons-le ligne par ligne.

### `FROM python:3.13-alpine` : le point de départ

Tout Dockerfile commence par `FROM`, qui désigne l'image sur laquelle on empile nos propres
couches. `python` est le nom de l'image (son *dépôt*) et `3.13-alpine` une *étiquette*
(*tag*) qui choisit une variante : Python 3.13 sur Alpine Linux. On part de là parce que
cette image fournit déjà ce dont l'application a besoin, un interpréteur Python et pip :
inutile de les installer nous-mêmes.

**Écrivez l'étiquette vous-même.** Sans étiquette, Docker comprend `:latest`, un repère que
les mainteneurs déplacent à chaque nouvelle publication. Un `FROM python` pourrait vous
donner Python 3.13 aujourd'hui et 3.14 le mois prochain, et faire échouer votre
construction sans que vous ayez touché à vos fichiers. Avec une étiquette fixée, c'est
*vous* qui décidez quand la base change. Les étiquettes disponibles figurent sur la
[page Docker Hub de l'image](https://hub.docker.com/_/python).

**Choisissez une version encore maintenue.** La première version de ce labo utilisait
`python:3.8-alpine`. Python 3.8 est arrivé en fin de vie en octobre 2024 : il ne reçoit
plus de correctifs de sécurité, et l'image officielle n'est plus reconstruite pour lui. Une
image bâtie dessus garderait à jamais des failles connues et non corrigées. Python 3.13 est
maintenu jusqu'en octobre 2029 (voir
l'[état des versions de Python](https://devguide.python.org/versions/)). Quand une version
approche de sa fin, changez l'étiquette délibérément et reconstruisez.

**Préférez les images officielles.** Tout ce que contient l'image de base (fichiers,
utilisateurs, vulnérabilités) entre dans la vôtre : mieux vaut savoir d'où elle vient.
`python` fait partie des *Docker Official Images* de Docker Hub : ses Dockerfiles sont
publics dans [docker-library/python](https://github.com/docker-library/python), chaque
modification est relue dans le cadre du programme
[official-images](https://github.com/docker-library/official-images), l'image est
reconstruite quand sa base reçoit des correctifs de sécurité, et elle est bien documentée
(étiquettes, variantes, mode d'emploi). Les images des *Verified Publishers*, c'est-à-dire
des éditeurs de logiciels eux-mêmes, sont l'autre choix raisonnable. Une image publiée par
un compte que vous ne connaissez pas peut contenir n'importe quoi.

**Pourquoi Alpine ?** [Alpine Linux](https://alpinelinux.org/) est une distribution conçue
pour être minuscule : son image de base pèse environ 8 Mo, quand une installation minimale
de bien d'autres distributions tourne autour de 130 Mo. Elle y parvient grâce à
[musl](https://musl.libc.org/), une bibliothèque C légère utilisée à la place de glibc, et
à [BusyBox](https://busybox.net/), un seul petit programme qui fournit les commandes Unix
courantes. Une image plus petite se télécharge et se déploie plus vite sur chaque machine
qui l'exécute, y prend moins de place, et contient moins de programmes dont un attaquant
pourrait abuser : sa *surface d'attaque* est plus réduite. La contrepartie : certains
paquets Python ne publient de roues (*wheels*) prêtes à l'emploi que pour glibc et doivent
être compilés sous musl.

**Remonter la chaîne.** `python:3.13-alpine` est elle-même construite à partir d'un
Dockerfile. Celui-ci commence par `FROM alpine:…`, puis enchaîne les commandes qui
récupèrent, compilent et configurent Python
([celles de la 3.13](https://github.com/docker-library/python/tree/master/3.13)). Pour tout
maîtriser (une autre option de compilation, moins d'outils), vous pourriez partir de
`FROM alpine`, ou d'une autre distribution, et écrire ces étapes vous-même. Pour débuter,
prenez l'image officielle la plus proche de votre besoin et laissez ses mainteneurs faire ce
travail.

> **Sur ce kit hors ligne.** Cette machine ne peut joindre aucun registre : impossible de
> télécharger quoi que ce soit depuis Docker Hub. Le moteur contient donc déjà une
> **image de remplacement locale** étiquetée `python:3.13-alpine` : Python 3.13 et pip sur
> *Debian*, construite par les scripts d'installation du kit. Elle porte le même nom pour
> que le labo se lise comme en ligne, mais ce n'est pas Alpine : elle utilise glibc, elle
> est bien plus grosse (environ 170 Mo, comme le montrera la liste des images) et porte le
> label `org.layerlab.standin-for`. En ligne, le moteur téléchargerait l'image officielle
> à la première construction.

### `RUN pip install flask` : du travail fait à la construction

`RUN` exécute une commande dans un conteneur temporaire *pendant la construction*, puis
conserve les fichiers modifiés sous forme d'une nouvelle couche de l'image. Ici, pip
télécharge Flask et l'installe dans le Python de l'image. Installer des paquets, créer des
dossiers, ajuster des permissions : voilà le rôle de `RUN`. La commande s'exécute une seule
fois, à la construction de l'image, et non à chaque démarrage de l'application.

### `CMD ["python","app.py"]` : ce que lance un conteneur

Pendant la construction, `CMD` ne fait rien. Elle inscrit dans les réglages de l'image la
commande qu'un conteneur lancera au démarrage : ici, Python qui exécute notre application.
La forme JSON (une liste de chaînes entre guillemets doubles) lance le programme
directement, sans passer par un shell.

Une image n'a qu'une seule commande par défaut. Quand un Dockerfile contient plusieurs
`CMD`, seule la dernière compte. Il en va de même d'une image à l'autre : l'image de base
`python` a sa propre `CMD` (`python3`, l'interpréteur interactif), et la nôtre la remplace.
`%%dockerfile` vous prévient quand un fichier contient plus d'une `CMD` :
""",
        ),
        code(
            """
%%dockerfile two-cmds.Dockerfile
FROM python:3.13-alpine
CMD ["python3"]
CMD ["python","app.py"]
"""
        ),
        md(
            """
That file only serves the demonstration: we will not build it.

### Why build an image of our own?

The official image alone can run scripts: mount a folder, run `python script.py` in a
`python:3.13-alpine` container, and nothing gets installed on the host. We build our own
image because we want one artefact that holds the interpreter, the dependencies *and our
code*: something we can name, version, push to a registry, and run unchanged on a laptop,
a CI runner or a server.

### `COPY app.py /app.py`: our code, last

`COPY` takes `app.py` from the *build context* (the folder you build from, here
`work/lab01`) and puts it at `/app.py`, in a new layer.

Why is it the last line? The engine keeps the result of every step in a cache. On a
rebuild, it reuses a step's saved layer as long as that step and every step above it are
unchanged; from the first step that changed, it runs all the following steps again. Your
source code is what changes most often, so it goes at the bottom: editing `app.py` then
only redoes the `COPY`, and the slow `pip install` comes straight from the cache. Put
`COPY` above `RUN` and every edit of the code would reinstall Flask. Likewise, changing
the `FROM` line would invalidate the cache of every step below it. The next lab shows this
in action.

`COPY` after `CMD` may look backwards: won't `python app.py` fail if the file is not
there yet? No. `CMD` only runs when a container starts, and by then the whole image,
`app.py` included, has been built.

That is the whole Dockerfile. The [Dockerfile reference](https://docs.docker.com/reference/dockerfile/)
describes every other instruction.

## Build the image

In a terminal you would type `docker image build -t python-hello-world .`. The kit's
magic takes the same options: `-t` gives the image a name, and `.` is the build context,
the folder whose files `COPY` can use (our lab folder). The build shows each step as the
engine reports it, and the cell keeps the outcome in the variable `result`.
""",
            """
Ce fichier ne sert qu'à la démonstration : nous ne le construirons pas.

### Pourquoi construire notre propre image ?

L'image officielle suffit pour exécuter des scripts : on monte un dossier, on lance
`python script.py` dans un conteneur `python:3.13-alpine`, et rien n'est installé sur
l'hôte. Si l'on construit notre image, c'est pour obtenir un objet unique qui réunit
l'interpréteur, les dépendances *et notre code* : on peut le nommer, le versionner, le
pousser sur un registre et l'exécuter tel quel sur un portable, dans une chaîne
d'intégration continue ou sur un serveur.

### `COPY app.py /app.py` : notre code, en dernier

`COPY` prend `app.py` dans le *contexte de construction* (le dossier à partir duquel on
construit, ici `work/lab01`) et le dépose en `/app.py`, dans une nouvelle couche.

Pourquoi en dernière ligne ? Le moteur garde en cache le résultat de chaque étape. À la
reconstruction, il réutilise la couche enregistrée d'une étape tant que cette étape et
toutes celles du dessus sont inchangées ; à partir de la première étape modifiée, il refait
toutes les suivantes. Le code source est ce qui change le plus souvent : il va tout en bas.
Modifier `app.py` ne refait alors que le `COPY`, et le long `pip install` sort directement
du cache. Placez `COPY` au-dessus de `RUN`, et chaque retouche du code réinstallerait
Flask. De même, changer la ligne `FROM` invaliderait le cache de toutes les étapes
suivantes. Le prochain labo le montre en pratique.

Un `COPY` après `CMD` peut sembler à l'envers : `python app.py` ne va-t-il pas échouer si
le fichier n'est pas encore là ? Non. `CMD` n'est exécutée qu'au démarrage d'un conteneur,
et à ce moment-là toute l'image, `app.py` compris, est déjà construite.

Voilà tout le Dockerfile. La [référence du Dockerfile](https://docs.docker.com/reference/dockerfile/)
décrit toutes les autres instructions.

## Construire l'image

Dans un terminal, vous taperiez `docker image build -t python-hello-world .`. La magic du
kit prend les mêmes options : `-t` donne un nom à l'image, et `.` est le contexte de
construction, le dossier dont `COPY` peut utiliser les fichiers (notre dossier de labo). La
construction affiche chaque étape au fil de ce que le moteur rapporte, et la cellule garde
le résultat dans la variable `result`.
""",
        ),
        code("result = %docker_build -t python-hello-world .", IGNORE),
        md(
            """
The first build on a machine takes a little while: `RUN` downloads Flask from PyPI. The
`FROM` step builds nothing, it only picks up the base image. The cell below checks the
outcome: the build succeeded and the image got its name. `:latest` was added for you,
since we gave no tag.
""",
            """
La première construction sur une machine prend un peu de temps : `RUN` télécharge Flask
depuis PyPI. L'étape `FROM` ne construit rien, elle reprend simplement l'image de base. La
cellule suivante vérifie le résultat : la construction a réussi et l'image a reçu son nom.
`:latest` a été ajouté pour vous, puisque nous n'avons pas donné d'étiquette.
""",
        ),
        code(
            """
assert result.succeeded
assert result.image_id.startswith("sha256:")
print(result.tags)
"""
        ),
        md(
            """
### Build again, change nothing

Run the very same build a second time (`-q` only prints the summary).
""",
            """
### Reconstruire sans rien changer

Relancez exactement la même construction (`-q` n'affiche que le résumé).
""",
        ),
        code("again = %docker_build -q -t python-hello-world .", IGNORE),
        code(
            """
# every step after FROM was found in the cache, and the engine gave back the same image
assert all(step.cached for step in again.steps if step.status != "base")
assert again.cache_hits == len([s for s in again.steps if s.status != "base"])
assert again.image_id == result.image_id
print("✓", again.tags[0], "=", again.short_id)
""",
            fr="""
# toutes les étapes après FROM venaient du cache, et le moteur a rendu la même image
assert all(step.cached for step in again.steps if step.status != "base")
assert again.cache_hits == len([s for s in again.steps if s.status != "base"])
assert again.image_id == result.image_id
print("✓", again.tags[0], "=", again.short_id)
""",
        ),
        md(
            """
Nothing was rebuilt: the engine recognised every step and returned the image it already
had. (If this notebook ran on this machine before, the first build above was probably
served from the cache too.)

### Change the code, build again

Now change the application. The next cell adds a comment line with the current time to
`app.py`: a change the engine cannot have seen before. Then build without `-q`, and watch
the steps: which ones does the engine take from its cache, and which does it run again?
Under the steps, the kit says where the cache broke, and why.
""",
            """
Rien n'a été reconstruit : le moteur a reconnu chaque étape et a rendu l'image qu'il avait
déjà. (Si ce notebook a déjà tourné sur cette machine, la première construction ci-dessus
venait sans doute, elle aussi, du cache.)

### Modifier le code, reconstruire

Modifiez maintenant l'application. La cellule suivante ajoute à `app.py` une ligne de
commentaire contenant l'heure : une modification que le moteur ne peut pas avoir déjà
vue. Construisez ensuite sans `-q` et regardez les étapes : lesquelles le moteur
prend-il dans son cache, lesquelles refait-il ? Sous les étapes, le kit indique où le
cache a cassé, et pourquoi.
""",
        ),
        code(
            """
import time
from pathlib import Path

app_file = Path("app.py")
app_file.write_text(app_file.read_text() + f"# edited at {time.strftime('%H:%M:%S')}\\n")
"""
        ),
        code("edited = %docker_build -t python-hello-world .", IGNORE),
        code(
            """
# only COPY ran again: every step above it still matches, and COPY's files changed
rebuilt = [step.keyword for step in edited.steps if step.status == "built"]
print("rebuilt:", rebuilt)
assert rebuilt == ["COPY"]
print("why:", edited.cache_report.reason, list(edited.cache_report.changed_files))
assert edited.cache_report.changed_files == ("app.py",)
"""
        ),
        md(
            """
Only `COPY` ran again. The engine compares each step with what it built before: the
instruction, and for `COPY` the content of the files it copies. `FROM`, `RUN pip install
flask` and `CMD` had not changed, so their layers came from the cache; `app.py` had, so
`COPY` was redone, and so would every step below it. This is why the Dockerfile copies
the code *last*: the code is what changes most, and the slow `pip install` above it
stays cached. The next lab comes back to this with pushes to a registry.

## List the images

`docker image ls` becomes `%docker_images`. An engine often holds many images, so we give
a pattern: `python*` keeps the names that start with `python`, as
`docker image ls "python*"` would.
""",
            """
Seul `COPY` a été refait. Le moteur compare chaque étape à ce qu'il a déjà construit :
l'instruction, et pour `COPY` le contenu des fichiers copiés. `FROM`, `RUN pip install
flask` et `CMD` n'avaient pas changé, leurs couches sont donc sorties du cache ;
`app.py` avait changé, `COPY` a donc été refait, comme le serait toute étape placée
après. Voilà pourquoi le Dockerfile copie le code *en dernier* : c'est lui qui change le
plus souvent, et le lent `pip install` placé au-dessus reste en cache. Le labo suivant y
revient, avec des envois vers un registre.

## Lister les images

`docker image ls` devient `%docker_images`. Un moteur contient souvent beaucoup d'images :
on donne donc un motif, `python*`, qui ne garde que les noms commençant par `python`, comme
le ferait `docker image ls "python*"`.
""",
        ),
        code(
            """
listing = %docker_images python*
listing
""",
            IGNORE,
        ),
        md(
            """
Your `python-hello-world` is there, and so is `python:3.13-alpine`: the engine keeps the
base image it built on. Run `%docker_images` with no pattern to see everything the engine
holds: perhaps images of other labs or other people, and lines marked `<none>`, older
builds whose name has moved on to a newer image.
""",
            """
Votre `python-hello-world` y figure, et `python:3.13-alpine` aussi : le moteur garde
l'image de base sur laquelle il a construit. Lancez `%docker_images` sans motif pour voir
tout ce que contient le moteur : peut-être des images d'autres labos ou d'autres
personnes, et des lignes marquées `<none>`, d'anciennes constructions dont le nom est passé
à une image plus récente.
""",
        ),
        code(
            """
names = {f"{row['repository']}:{row['tag']}" for row in listing}
assert "python-hello-world:latest" in names
assert "python:3.13-alpine" in names
print("✓ python-hello-world:latest")
print("✓ python:3.13-alpine")
"""
        ),
        md(
            """
## Look inside: the history of an image

`docker history python-hello-world` becomes `%docker_history python-hello-world`. Each
line is one step that made the image, the newest on top, with the size it added.
`--base` tells the kit which image we started `FROM`, so it can mark the lines that came
with it.
""",
            """
## Regarder dedans : l'historique d'une image

`docker history python-hello-world` devient `%docker_history python-hello-world`. Chaque
ligne est une étape qui a produit l'image, la plus récente en haut, avec la taille qu'elle
a ajoutée. `--base` indique au kit l'image dont nous sommes partis avec `FROM`, pour qu'il
marque les lignes venues avec elle.
""",
        ),
        code("%docker_history python-hello-world --base python:3.13-alpine", IGNORE),
        md(
            """
And now the history of the base image itself:
""",
            """
Et maintenant l'historique de l'image de base elle-même :
""",
        ),
        code("%docker_history python:3.13-alpine", IGNORE),
        md(
            """
Read the two side by side: the bottom of our image *is* the base image, layer for layer,
and our Dockerfile added three entries on top. `RUN` and `COPY` added files, so their
layers have a size; `CMD` only changed a setting, so its entry weighs 0 B. The top entry
of the base is its own `CMD`. (The history of the stand-in is not that of the official
image: online you would see the Alpine layer at the bottom and the steps that build
Python above it.)

The next cell checks this with the kit's `layers()` function, which returns the same
history as Python objects.
""",
            """
Lisez les deux côte à côte : le bas de notre image *est* l'image de base, couche pour
couche, et notre Dockerfile a ajouté trois entrées par-dessus. `RUN` et `COPY` ont ajouté
des fichiers, leurs couches ont donc une taille ; `CMD` n'a changé qu'un réglage, son
entrée pèse 0 o. L'entrée du haut de l'image de base est sa propre `CMD`. (L'historique de
l'image de remplacement n'est pas celui de l'image officielle : en ligne, vous verriez la
couche Alpine tout en bas et, au-dessus, les étapes qui construisent Python.)

La cellule suivante le vérifie avec la fonction `layers()` du kit, qui renvoie ce même
historique sous forme d'objets Python.
""",
        ),
        code(
            """
from layerlab import layers

ours = layers("python-hello-world", base="python:3.13-alpine")
base = layers("python:3.13-alpine")

# the bottom of our image is the base image, layer for layer
assert ours.diff_ids[: len(base.diff_ids)] == base.diff_ids
assert base.layers[0].keyword == "CMD"
# our three entries, newest first
assert [layer.keyword for layer in ours.own_layers] == ["COPY", "CMD", "RUN"]
for layer in ours.own_layers:
    print(f"{layer.keyword:5}", "settings only, 0 B" if layer.empty else "adds files")
""",
            "localized",
            fr="""
from layerlab import layers

ours = layers("python-hello-world", base="python:3.13-alpine")
base = layers("python:3.13-alpine")

# le bas de notre image est l'image de base, couche pour couche
assert ours.diff_ids[: len(base.diff_ids)] == base.diff_ids
assert base.layers[0].keyword == "CMD"
# nos trois entrées, la plus récente d'abord
assert [layer.keyword for layer in ours.own_layers] == ["COPY", "CMD", "RUN"]
for layer in ours.own_layers:
    print(f"{layer.keyword:5}", "réglage seulement, 0 o" if layer.empty else "ajoute des fichiers")
""",
        ),
        md(
            """
Which command will a container of each image start? It is stored in the image's
configuration. The `docker` Python library, which the kit uses to talk to the engine,
reads it for us:
""",
            """
Quelle commande un conteneur de chaque image lancera-t-il ? Elle est enregistrée dans la
configuration de l'image. La bibliothèque Python `docker`, dont le kit se sert pour parler
au moteur, la lit pour nous :
""",
        ),
        code(
            """
import docker

client = docker.from_env()
print("python-hello-world:", client.images.get("python-hello-world").attrs["Config"]["Cmd"])
print("python:3.13-alpine:", client.images.get("python:3.13-alpine").attrs["Config"]["Cmd"])
"""
        ),
        md(
            """
Our `CMD` replaced the base's `python3`: a container started from `python-hello-world`
runs the application.

## Two builders, one Dockerfile

The engine has two ways to build. The *classic* builder runs the steps one after the
other and prints `Step 2/4 : …` and `---> Using cache`. *BuildKit*, the default of
`docker build` since Docker Engine 23, plans the build as a graph, can run independent
steps in parallel, and prints `[2/3] RUN …` and `CACHED`. `%docker_build` picks BuildKit
when the engine's docker CLI can run it (`--builder auto`, the default) and tells you
which one ran; `--builder classic` or `--builder buildkit` chooses. Build the same
Dockerfile with each and compare the steps:
""",
            """
Notre `CMD` a remplacé le `python3` de la base : un conteneur démarré depuis
`python-hello-world` lance l'application.

## Deux builders, un seul Dockerfile

Le moteur sait construire de deux façons. Le builder *classique* exécute les étapes l'une
après l'autre et affiche `Step 2/4 : …` et `---> Using cache`. *BuildKit*, utilisé par
défaut par `docker build` depuis Docker Engine 23, voit la construction comme un graphe,
peut mener en parallèle les étapes indépendantes, et affiche `[2/3] RUN …` et `CACHED`.
`%docker_build` choisit BuildKit quand la CLI docker du moteur sait le faire tourner
(`--builder auto`, le réglage par défaut) et dit lequel a travaillé ; `--builder classic`
ou `--builder buildkit` imposent le choix. Construisez le même Dockerfile avec chacun et
comparez les étapes :
""",
        ),
        code(
            "classic = %docker_build --builder classic -q -t python-hello-world:classic .", IGNORE
        ),
        code("bk = %docker_build --builder buildkit -q -t python-hello-world:buildkit .", IGNORE),
        code(
            """
print(classic.builder, [step.keyword for step in classic.steps])
print(bk.builder, [step.keyword for step in bk.steps])
assert (classic.builder, bk.builder) == ("classic", "buildkit")
# BuildKit counts no step for CMD: it only changes the image's settings
assert "CMD" in [step.keyword for step in classic.steps]
assert "CMD" not in [step.keyword for step in bk.steps]
"""
        ),
        md(
            """
Three differences to notice:

* **Steps.** The classic builder counts four steps, BuildKit three: `CMD` only writes a
  setting, so BuildKit does not make a step of it (the image history still records it).
* **Caches.** The two builders keep separate caches. Each one's first build of this
  Dockerfile may run `pip install` again, even though the other already did it; after
  that, each rebuild comes from its own cache (the next cell checks it).
* **History.** A classic build keeps an intermediate image for each step, so
  `docker history` shows an id on every line. BuildKit keeps none: its lines show
  `<missing>`, except the top one, which is the image itself.
""",
            """
Trois différences à remarquer :

* **Les étapes.** Le builder classique compte quatre étapes, BuildKit trois : `CMD`
  n'écrit qu'un réglage, BuildKit n'en fait donc pas une étape (l'historique de l'image
  l'enregistre quand même).
* **Les caches.** Les deux builders ont chacun leur cache. La première construction de ce
  Dockerfile par chacun peut relancer `pip install`, même si l'autre l'a déjà fait ;
  ensuite, chaque reconstruction sort de son propre cache (la cellule suivante le vérifie).
* **L'historique.** Une construction classique garde une image intermédiaire pour chaque
  étape : `docker history` montre donc un identifiant sur chaque ligne. BuildKit n'en
  garde aucune : ses lignes affichent `<missing>`, sauf celle du haut, qui est l'image
  elle-même.
""",
        ),
        code(
            "bk_again = %docker_build --builder buildkit -q -t python-hello-world:buildkit .",
            IGNORE,
        ),
        code(
            """
from layerlab import layers

assert all(step.cached for step in bk_again.steps if step.status != "base")
bk_own = layers("python-hello-world:buildkit", base="python:3.13-alpine").own_layers
classic_own = layers("python-hello-world:classic", base="python:3.13-alpine").own_layers
print("buildkit:", [layer.id[:19] for layer in bk_own])
print("classic: ", [layer.id[:19] for layer in classic_own])
assert "<missing>" in [layer.id for layer in bk_own]
assert "<missing>" not in [layer.id for layer in classic_own]
client.images.remove("python-hello-world:classic")
client.images.remove("python-hello-world:buildkit")
"""
        ),
        md(
            """
## Exercise: label your image

A *label* is a note stored in an image as a key and a value: what the image is, who
maintains it, which version. The `LABEL` instruction adds one. Your task:

1. In the next cell, add a line at the **end** of the Dockerfile, for instance
   `LABEL org.opencontainers.image.title="Python hello world"`, then run the cell.
2. Build it under the tag `python-hello-world:labelled` (the build cell is ready).
3. Run the check cell.

Before you build, guess: which steps will come from the cache? And what does `:labelled`
change, compared with the `:latest` we got so far?

The folded cell after yours (click the `…` to unfold it) holds one possible answer, so the
notebook runs from top to bottom. Skip it unless you are stuck: running it overwrites
your Dockerfile.
""",
            """
## Exercice : étiquetez votre image

Un *label* est une note enregistrée dans une image sous forme de clé et de valeur : ce
qu'est l'image, qui la maintient, sa version. L'instruction `LABEL` en ajoute un. À vous :

1. Dans la cellule suivante, ajoutez une ligne à la **fin** du Dockerfile, par exemple
   `LABEL org.opencontainers.image.title="Python hello world"`, puis exécutez la cellule.
2. Construisez-le sous l'étiquette `python-hello-world:labelled` (la cellule de
   construction est prête).
3. Lancez la cellule de vérification.

Avant de construire, faites une prédiction : quelles étapes viendront du cache ? Et que
change `:labelled` par rapport au `:latest` obtenu jusqu'ici ?

La cellule repliée qui suit la vôtre (cliquez sur `…` pour la déplier) contient une
réponse possible, pour que le notebook s'exécute de bout en bout. Ne la lancez que si vous
êtes bloqué : elle remplace votre Dockerfile.
""",
        ),
        code(SEED_DOCKERFILE, "exercise"),
        code(SOLVED_DOCKERFILE, "solution", hidden=True),
        code("exercise = %docker_build -t python-hello-world:labelled .", IGNORE),
        code(CHECK_EN, "check", "localized", fr=CHECK_FR),
        md(
            """
Every step above the `LABEL` came from the cache: only the new line was built. A label
changes the image's settings, not its files: like `CMD`, it adds an entry of 0 B and no
layer. And `:labelled` is just another tag: the part after the colon names a
version of the image. With no tag, Docker uses `latest`, the same rule you met with
`FROM`.

## What you did, and what comes next

You wrote an application and a Dockerfile, built an image from them, saw the cache skip
every step of an unchanged rebuild, and read the image's layers on top of its base. No
container runs yet: building makes an image, not a container. In the next lab you start
a container from `python-hello-world`, open the application, and publish the image to a
registry. The lab's files stay in `work/lab01/`, next to this notebook.
""",
            """
Toutes les étapes au-dessus du `LABEL` sont sorties du cache : seule la nouvelle ligne a
été construite. Un label change les réglages de l'image, pas ses fichiers : comme `CMD`, il
ajoute une entrée de 0 o et aucune couche. Quant à `:labelled`, ce n'est qu'une étiquette de plus :
la partie après les deux-points désigne une version de l'image. Sans étiquette, Docker
utilise `latest`, la même règle que pour `FROM`.

## Ce que vous avez fait, et la suite

Vous avez écrit une application et un Dockerfile, construit une image à partir d'eux, vu
le cache sauter toutes les étapes d'une reconstruction sans changement, et lu les couches
de l'image au-dessus de celles de sa base. Aucun conteneur ne tourne encore : construire
produit une image, pas un conteneur. Dans le prochain labo, vous démarrerez un conteneur à
partir de `python-hello-world`, vous ouvrirez l'application et vous publierez l'image sur
un registre. Les fichiers du labo restent dans `work/lab01/`, à côté de ce notebook.
""",
        ),
    ],
)

LABS = [LAB01]

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def notebook(lab: Lab, language: str) -> Any:
    cells = []
    for index, cell in enumerate(lab.cells):
        # stable ids (the same in both languages) keep regenerated notebooks diff-friendly
        cell_id = f"{lab.en_name[:2]}-{index:02d}"
        if isinstance(cell, Markdown):
            cells.append(nbformat.v4.new_markdown_cell(getattr(cell, language), id=cell_id))
            continue
        source = cell.fr if language == "fr" and cell.fr is not None else cell.source
        metadata: dict[str, object] = {}
        if cell.tags:
            metadata["tags"] = list(cell.tags)
        if cell.hidden:
            metadata["jupyter"] = {"source_hidden": True}
        cells.append(nbformat.v4.new_code_cell(source, metadata=metadata, id=cell_id))
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = KERNELSPEC
    book.metadata["language_info"] = {"name": "python"}
    return book


def execute(book: Any, folder: Path) -> None:
    from nbclient import NotebookClient

    NotebookClient(
        book, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--execute",
        action="store_true",
        help="run each notebook (real engine) and store its outputs",
    )
    parser.add_argument("--only", default=None, help="only labs whose file name starts so")
    args = parser.parse_args(argv)
    for lab in LABS:
        if args.only and not lab.en_name.startswith(args.only):
            continue
        for language, name in (("en", lab.en_name), ("fr", lab.fr_name)):
            folder = NOTEBOOKS / language
            book = notebook(lab, language)
            if args.execute:
                print(f"running {language}/{name}", file=sys.stderr)
                execute(book, folder)
            nbformat.validate(book)
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(book, folder / name)
            print(f"wrote {folder.relative_to(ROOT) / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
