"""Write labs 03-05 (English and French) from one description each, and run them.

Same scheme as ``scripts/make_notebooks.py`` (whose helpers this imports): one list of
cells per lab, code written once (a French variant only where comments or the strings of
a ``localized`` check differ), prose written in each language.

    .venv/bin/python scripts/make_labs.py            # write the notebooks, no outputs
    .venv/bin/python scripts/make_labs.py --execute  # ... and run them to store outputs
    .venv/bin/python scripts/make_labs.py --execute --only 04

Each section ends with an exercise: an ``exercise`` cell (the learner's starting point), a
folded ``solution`` cell that nbval runs, and a ``check`` cell calling ``layerlab.check``.
``tests/integration/test_lab_checks_wrong_answers.py`` proves those checks fail on a wrong
answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the sibling script is found through the sys.path entry above
from make_notebooks import (
    IGNORE,
    NOTEBOOKS,
    ROOT,
    Lab,
    code,
    execute,
    md,
    nbformat,
    notebook,
)


def setup(number: str) -> tuple[str, str]:
    """The first code cell of a lab (English, French): kit, language, a fresh folder."""
    template = """
import os
import shutil
from pathlib import Path

%load_ext layerlab
%config Layerlab.language = "{language}"
%config Layerlab.builder = "classic"
%config Layerlab.extra_labels = {{"org.layerlab.lab": "{number}"}}

from layerlab import check, engine_ops

# {comment_folder}
lab = Path(_dh[0]) / "work" / "lab{number}"
shutil.rmtree(lab, ignore_errors=True)
lab.mkdir(parents=True)
os.chdir(lab)

# {comment_clean}
print(engine_ops.removed_message(engine_ops.remove_leftovers({{"org.layerlab.lab": "{number}"}})))
"""
    english = template.format(
        language="en",
        number=number,
        comment_folder="_dh[0] is the notebook's folder; the lab starts from an empty folder",
        comment_clean="remove what an interrupted earlier run of this lab left behind",
    )
    french = template.format(
        language="fr",
        number=number,
        comment_folder="_dh[0] est le dossier du notebook ; le labo part d'un dossier vide",
        comment_clean="supprime ce qu'une exécution interrompue de ce labo a laissé",
    )
    return english, french


def cleanup_check(number: str) -> tuple[str, str]:
    template = """
from layerlab import engine_ops

verdict = check.nothing_left({{"org.layerlab.lab": "{number}"}})
names = [r["repository"] for r in engine_ops.images() if r["repository"].startswith("lab{number}-")]
# {comment}
assert verdict and not names, names
"""
    return (
        template.format(number=number, comment="nothing carries the lab's label or name any more"),
        template.format(number=number, comment="plus rien ne porte le label ni le nom du labo"),
    )


#: the earlier builds a name moved away from: untagged, but still carrying the lab's label
REMOVE_OLDER = """
print(engine_ops.removed_message(engine_ops.remove_leftovers({{"org.layerlab.lab": "{number}"}})))
"""

# ============================================================================ lab 03
APP_03 = """
%%writefile app.py
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "{greeting}"


if __name__ == "__main__":
    app.run(host="0.0.0.0")
"""

COPY_FIRST = """
%%dockerfile copy-first.Dockerfile
FROM python:3.13-alpine
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
"""

DEPS_FIRST = """
%%dockerfile deps-first.Dockerfile
FROM python:3.13-alpine
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"""

STEP_TIMES = """
for step in {result}.steps:
    print(f"{{step.status:7}} {{step.duration_s or 0:.1f}} s  {{step.instruction}}")
"""

lab03_en, lab03_fr = setup("03")
clean03_en, clean03_fr = cleanup_check("03")

LAB03 = Lab(
    "03-layer-order-and-the-cache.ipynb",
    "03-ordre-des-couches-et-cache.ipynb",
    [
        md(
            """
# 03 · Layer order and the cache

In lab 01 you saw the engine skip every step it had already built. The cache is not
magic: the engine reuses a step's layer only when the step is the same **and every step
before it** came from the cache too. The first step that has to run again takes every
step after it down with it.

So the *order* of a Dockerfile decides how much work a small change costs. In this lab
you build the same Flask application twice, once with its dependencies installed *after*
the code is copied and once *before*, change one line of code, and time both rebuilds.
""",
            """
# 03 · L'ordre des couches et le cache

Au labo 01, vous avez vu le moteur sauter toutes les étapes déjà construites. Le cache
n'a rien de magique : le moteur ne réutilise la couche d'une étape que si l'étape est
identique **et que toutes celles qui la précèdent** sortent elles aussi du cache. La
première étape à refaire entraîne toutes les suivantes avec elle.

L'*ordre* d'un Dockerfile décide donc du prix d'une petite modification. Dans ce labo,
vous construisez deux fois la même application Flask, en installant ses dépendances une
fois *après* la copie du code et une fois *avant*, puis vous modifiez une ligne de code et
chronométrez les deux reconstructions.
""",
        ),
        md(
            """
The first cell loads the kit, picks the classic builder (it reports how long each step
took), and starts the lab in an empty folder, `work/lab03/` next to this notebook.
Everything the lab builds carries the label `org.layerlab.lab=03`, so the last cell can
make sure nothing is left behind.
""",
            """
La première cellule charge le kit, choisit le constructeur classique (il indique la durée
de chaque étape) et démarre le labo dans un dossier vide, `work/lab03/`, à côté de ce
notebook. Tout ce que le labo construit porte le label `org.layerlab.lab=03` : la dernière
cellule pourra ainsi vérifier que rien ne traîne.
""",
        ),
        code(lab03_en, IGNORE, fr=lab03_fr),
        md(
            """
## The application and its dependencies

Python projects list what they need in `requirements.txt`, one package per line, and
`pip install -r requirements.txt` installs them all. Ours needs only Flask.
""",
            """
## L'application et ses dépendances

Un projet Python liste ce dont il a besoin dans `requirements.txt`, un paquet par ligne,
et `pip install -r requirements.txt` les installe tous. Le nôtre n'a besoin que de Flask.
""",
        ),
        code("%%writefile requirements.txt\nflask\n"),
        code(APP_03.format(greeting="hello world!")),
        md(
            """
## Copy everything, then install

The shortest Dockerfile copies the whole folder into the image with `COPY . .` and then
installs the requirements. `WORKDIR /app` makes `/app` the current folder for the steps
after it (and for the container). We save it as `copy-first.Dockerfile`, and build it
with `-f`, which names the Dockerfile to use.
""",
            """
## Tout copier, puis installer

Le Dockerfile le plus court copie tout le dossier dans l'image avec `COPY . .`, puis
installe les dépendances. `WORKDIR /app` fait de `/app` le dossier courant des étapes
suivantes (et du conteneur). Nous l'enregistrons sous le nom `copy-first.Dockerfile` et
le construisons avec `-f`, qui désigne le Dockerfile à utiliser.
""",
        ),
        code(COPY_FIRST),
        md(
            """
The first build downloads and installs Flask: a few seconds. (`-q` keeps the output to
the summary line.)
""",
            """
La première construction télécharge et installe Flask : quelques secondes. (`-q` réduit
l'affichage à la ligne de bilan.)
""",
        ),
        code(
            "slow_first = %docker_build -q -t lab03-copy-first -f copy-first.Dockerfile .", IGNORE
        ),
        md(
            """
Now the everyday situation: you change one line of your code. Edit the greeting and
build again.
""",
            """
Vient la situation de tous les jours : vous modifiez une ligne de votre code. Changez le
message d'accueil et reconstruisez.
""",
        ),
        code(APP_03.format(greeting="hello, layers!")),
        code("slow = %docker_build -q -t lab03-copy-first -f copy-first.Dockerfile .", IGNORE),
        md(
            """
The kit keeps a *cache report* with each build: the first step the engine had to run
again, and why.
""",
            """
Le kit joint à chaque construction un *rapport de cache* : la première étape que le
moteur a dû refaire, et pourquoi.
""",
        ),
        code("print(slow.cache_report)"),
        code(STEP_TIMES.format(result="slow"), IGNORE),
        code(
            """
install = next(step for step in slow.steps if step.keyword == "RUN")
assert not install.cached
print("pip install ran again:", install.status)
""",
            "localized",
            fr="""
install = next(step for step in slow.steps if step.keyword == "RUN")
assert not install.cached
print("pip install a tourné de nouveau :", install.status)
""",
        ),
        md(
            """
`COPY . .` copies `app.py`, so when `app.py` changes, that step has to run again. Its
layer is new, so nothing stacked on it can come from the cache: pip downloads and
installs Flask again, although `requirements.txt` did not change at all.

## Exercise: predict the rebuild

A colleague fixes a typo in the project's `README.md`, a file the application never
reads. Then you rebuild `copy-first.Dockerfile`. Which steps will the engine run again?

1. In the next cell, add a line to `README.md` (the comment shows how), and put your
   prediction in `prediction`: a list of instruction keywords, such as `["RUN"]`.
2. Run the build cell, then the check: it compares your prediction with what the engine
   did.

The folded cell after yours holds one answer; open it only if you are stuck.
""",
            """
`COPY . .` copie `app.py` : quand `app.py` change, cette étape doit être refaite. Sa
couche est nouvelle, donc rien de ce qui repose dessus ne peut venir du cache : pip
télécharge et installe Flask à nouveau, alors que `requirements.txt` n'a pas bougé.

## Exercice : prédisez la reconstruction

Une collègue corrige une coquille dans le `README.md` du projet, un fichier que
l'application ne lit jamais. Vous reconstruisez ensuite `copy-first.Dockerfile`. Quelles
étapes le moteur va-t-il refaire ?

1. Dans la cellule suivante, ajoutez une ligne à `README.md` (le commentaire montre
   comment) et mettez votre prédiction dans `prediction` : une liste de mots-clés
   d'instructions, comme `["RUN"]`.
2. Lancez la cellule de construction, puis la vérification : elle compare votre
   prédiction avec ce qu'a fait le moteur.

La cellule repliée qui suit la vôtre contient une réponse ; ne l'ouvrez qu'en cas de
blocage.
""",
        ),
        code(
            """
# your turn: append a line to README.md, e.g.
# with open("README.md", "a", encoding="utf-8") as readme:
#     readme.write("Lab 03\\n")
prediction = []
""",
            "exercise",
            fr="""
# à vous : ajoutez une ligne à README.md, par exemple
# with open("README.md", "a", encoding="utf-8") as readme:
#     readme.write("Lab 03\\n")
prediction = []
""",
        ),
        code(
            """
with open("README.md", "a", encoding="utf-8") as readme:
    readme.write("Lab 03\\n")
prediction = ["COPY", "RUN", "CMD"]
""",
            "solution",
            hidden=True,
        ),
        code(
            "readme_build = %docker_build -q -t lab03-copy-first -f copy-first.Dockerfile .",
            IGNORE,
        ),
        code("check.steps_cached(readme_build, rebuilt=prediction)", "check"),
        md(
            """
Any file in the folder counts, used or not: `COPY . .` depends on all of them, and so
does everything after it. (The next lab shows how to leave files out of the copy.)

## Install first, then copy the code

Dependencies change rarely; code changes all the time. So copy `requirements.txt` alone,
install, and only then copy the rest. The install step now depends on the base image,
`WORKDIR` and one small file, none of which moves when you edit `app.py`.
""",
            """
Tous les fichiers du dossier comptent, utiles ou non : `COPY . .` dépend de chacun
d'eux, et tout ce qui vient après aussi. (Le labo suivant montre comment écarter des
fichiers de la copie.)

## Installer d'abord, copier le code ensuite

Les dépendances changent rarement, le code change sans arrêt. Copiez donc
`requirements.txt` seul, installez, puis copiez le reste. L'étape d'installation ne
dépend plus que de l'image de base, de `WORKDIR` et d'un petit fichier, et rien de cela ne
bouge quand vous modifiez `app.py`.
""",
        ),
        code(DEPS_FIRST),
        code(
            "fast_first = %docker_build -q -t lab03-deps-first -f deps-first.Dockerfile .", IGNORE
        ),
        md(
            """
The same one-line change to the code, and the same rebuild:
""",
            """
La même modification d'une ligne, et la même reconstruction :
""",
        ),
        code(APP_03.format(greeting="hello, cache!")),
        code("fast = %docker_build -q -t lab03-deps-first -f deps-first.Dockerfile .", IGNORE),
        code("print(fast.cache_report)"),
        code(STEP_TIMES.format(result="fast"), IGNORE),
        md(
            """
This time the first step to run again is `COPY . .`, *after* the install: pip was not
even started. Compare the two rebuilds (your numbers depend on the machine and the
network; the ratio is what matters):
""",
            """
Cette fois, la première étape refaite est `COPY . .`, *après* l'installation : pip n'a
même pas été lancé. Comparez les deux reconstructions (vos chiffres dépendent de la
machine et du réseau ; c'est le rapport qui compte) :
""",
        ),
        code(
            """
print(f"copy first:         rebuilt in {slow.duration_s:.1f} s")
print(f"dependencies first: rebuilt in {fast.duration_s:.1f} s")
print(f"about {slow.duration_s / fast.duration_s:.0f} times faster")
""",
            IGNORE,
            "localized",
            fr="""
print(f"copie d'abord :       reconstruit en {slow.duration_s:.1f} s")
print(f"dépendances d'abord : reconstruit en {fast.duration_s:.1f} s")
print(f"environ {slow.duration_s / fast.duration_s:.0f} fois plus rapide")
""",
        ),
        code(
            """
slow_install = next(step for step in slow.steps if step.keyword == "RUN")
fast_install = next(step for step in fast.steps if step.keyword == "RUN")
assert not slow_install.cached and fast_install.cached
assert fast.duration_s < slow.duration_s
print("copy first: pip install", slow_install.status, "| dependencies first: pip install",
      fast_install.status)
""",
            "localized",
            fr="""
slow_install = next(step for step in slow.steps if step.keyword == "RUN")
fast_install = next(step for step in fast.steps if step.keyword == "RUN")
assert not slow_install.cached and fast_install.cached
assert fast.duration_s < slow.duration_s
print("copie d'abord : pip install", slow_install.status, "| dépendances d'abord : pip install",
      fast_install.status)
""",
        ),
        md(
            """
With Flask alone the install takes seconds; a real project's requirements (a data
library, a database driver) often take minutes, on every change, for every developer and
in every CI run. The general rule: **put what changes least at the top** of the
Dockerfile and what changes most (your code) at the bottom.

## Exercise: when the dependencies do change

Pin Flask's major version, as a real project would: replace the content of
`requirements.txt` with `flask>=3` (the comment shows one way). Predict which steps of
`deps-first.Dockerfile` run again, build, and check.
""",
            """
Avec Flask seul, l'installation prend quelques secondes ; les dépendances d'un vrai
projet (une bibliothèque de calcul, un pilote de base de données) prennent souvent des
minutes, à chaque modification, pour chaque développeur et dans chaque passage de
l'intégration continue. La règle générale : **en haut du Dockerfile ce qui change le
moins**, en bas ce qui change le plus (votre code).

## Exercice : quand les dépendances changent vraiment

Fixez la version majeure de Flask, comme le ferait un vrai projet : remplacez le contenu
de `requirements.txt` par `flask>=3` (le commentaire montre une façon de faire). Prédisez
les étapes de `deps-first.Dockerfile` qui seront refaites, construisez, vérifiez.
""",
        ),
        code(
            """
# your turn, e.g. Path("requirements.txt").write_text("flask>=3\\n")
prediction = []
""",
            "exercise",
            fr="""
# à vous, par exemple Path("requirements.txt").write_text("flask>=3\\n")
prediction = []
""",
        ),
        code(
            """
Path("requirements.txt").write_text("flask>=3\\n")
prediction = ["COPY", "RUN", "CMD"]
""",
            "solution",
            hidden=True,
        ),
        code(
            "pinned_build = %docker_build -q -t lab03-deps-first -f deps-first.Dockerfile .",
            IGNORE,
        ),
        code("check.steps_cached(pinned_build, rebuilt=prediction)", "check"),
        md(
            """
`requirements.txt` is copied by the first `COPY`, so the install runs again: that is the
one change that *should* reinstall, and the only one that does now.

## Clean up

Remove the lab's two images. Their cached steps go with them (the intermediate layers
nothing else uses). Each rebuild also moved a name to a new image and left the previous
one without a name (*dangling*). `%docker image prune` would remove every dangling image
the kit made for you, from any lab; the second line removes only this lab's, found by
their label. The last cell checks that nothing with the lab's label or name is left.
""",
            """
`requirements.txt` est copié par le premier `COPY` : l'installation est refaite. C'est
la seule modification qui *doit* réinstaller, et désormais la seule qui le fait.

## Ranger

Supprimez les deux images du labo. Leurs étapes en cache partent avec elles (les couches
intermédiaires que rien d'autre n'utilise). Chaque reconstruction a aussi donné le nom à
une nouvelle image et laissé la précédente sans nom (*dangling*, « pendante »).
`%docker image prune` supprimerait toutes les images pendantes que le kit a faites pour
vous, tous labos confondus ; la deuxième ligne ne supprime que celles de ce labo,
retrouvées grâce à leur label. La dernière cellule vérifie qu'il ne reste rien qui porte
le label ou le nom du labo.
""",
        ),
        code(
            "%docker rmi lab03-copy-first lab03-deps-first\n" + REMOVE_OLDER.format(number="03"),
            IGNORE,
        ),
        code(clean03_en, "check", fr=clean03_fr),
    ],
)


# ============================================================================ lab 04
APP_04 = """
%%writefile app.py
print("{greeting}")
"""

DOCKERFILE_04 = """
%%dockerfile
FROM python:3.13-alpine
WORKDIR /app
COPY . .
CMD ["python", "app.py"]
"""

IGNORE_START = """
%%writefile .dockerignore
.git
**/__pycache__
Dockerfile
.dockerignore
"""

IGNORE_DATA = IGNORE_START + "data\n"
IGNORE_README = IGNORE_DATA + "*.md\n"

CLUTTER = """
import py_compile
import random

# {comment_dump}
Path("data").mkdir()
Path("data/dump.sql").write_text("INSERT INTO visits VALUES (1, 'hello');\\n" * 700_000)
# {comment_git}
Path(".git/objects/pack").mkdir(parents=True)
Path(".git/HEAD").write_text("ref: refs/heads/main\\n")
Path(".git/objects/pack/pack-1.pack").write_bytes(random.Random(4).randbytes(5_000_000))
# {comment_pyc}
byte_code = py_compile.compile("app.py", cfile="__pycache__/app.cpython-313.pyc")
"""

SHOW_CONTEXT = """
from layerlab.context import context_files, human_size, summarize

context = summarize(Path("."))
print(context.files, "files,", human_size(context.size_bytes))
print(context_files(Path(".")))
"""

lab04_en, lab04_fr = setup("04")
clean04_en, clean04_fr = cleanup_check("04")

LAB04 = Lab(
    "04-dockerignore.ipynb",
    "04-dockerignore.ipynb",
    [
        md(
            """
# 04 · `.dockerignore`: what the engine receives

When you run `%docker_build … .`, the final `.` is the *build context*: the folder whose
files are packed up and sent to the engine before the first step runs. `COPY` can only
copy files from the context. A `.dockerignore` file in that folder lists what must stay
out. In this lab you measure the context of a cluttered project, see the clutter land in
the image, and then see which file changes break the cache and which do not.
""",
            """
# 04 · `.dockerignore` : ce que reçoit le moteur

Quand vous lancez `%docker_build … .`, le `.` final est le *contexte de construction* : le
dossier dont les fichiers sont empaquetés et envoyés au moteur avant la première étape.
`COPY` ne peut copier que des fichiers du contexte. Un fichier `.dockerignore` placé dans
ce dossier liste ce qui doit rester dehors. Dans ce labo, vous mesurez le contexte d'un
projet encombré, vous voyez le désordre atterrir dans l'image, puis vous voyez quelles
modifications de fichiers cassent le cache et lesquelles ne le cassent pas.
""",
        ),
        md(
            """
As in lab 03, the first cell loads the kit and starts in an empty folder,
`work/lab04/`; what the lab builds carries the label `org.layerlab.lab=04`.
""",
            """
Comme au labo 03, la première cellule charge le kit et démarre dans un dossier vide,
`work/lab04/` ; ce que le labo construit porte le label `org.layerlab.lab=04`.
""",
        ),
        code(lab04_en, IGNORE, fr=lab04_fr),
        md(
            """
## A project folder, as it really looks

The application is one line, and so is the recipe: copy the folder, run the script.
""",
            """
## Un dossier de projet, tel qu'il est vraiment

L'application tient en une ligne, la recette aussi : copier le dossier, lancer le script.
""",
        ),
        code(APP_04.format(greeting="hello from lab 04")),
        code(DOCKERFILE_04),
        md(
            """
A real project folder holds more than the code: the `.git` folder with the whole history,
the `__pycache__` folders Python fills with byte-code when you run the code locally, a
data export left over from debugging. The next cell makes such clutter (the data is made
up, the sizes are realistic).
""",
            """
Un vrai dossier de projet contient plus que le code : le dossier `.git` avec tout
l'historique, les dossiers `__pycache__` que Python remplit de byte-code quand vous lancez
le code sur votre machine, un export de données oublié après une séance de débogage. La
cellule suivante fabrique ce désordre (les données sont inventées, les tailles réalistes).
""",
        ),
        code(
            CLUTTER.format(
                comment_dump="a database export left over from debugging",
                comment_git="git's history: here a made-up pack file of 5 MB",
                comment_pyc="the byte-code Python writes when the code runs locally",
            ),
            fr=CLUTTER.format(
                comment_dump="un export de base de données oublié après un débogage",
                comment_git="l'historique de git : ici un fichier pack inventé de 5 Mo",
                comment_pyc="le byte-code que Python écrit quand le code tourne en local",
            ),
        ),
        md(
            """
What would the engine receive? `summarize` counts the files of the context the way the
build sends them:
""",
            """
Que recevrait le moteur ? `summarize` compte les fichiers du contexte comme la
construction les envoie :
""",
        ),
        code(SHOW_CONTEXT),
        code("cluttered = %docker_build -q -t lab04-app .", IGNORE),
        code("%docker run --rm lab04-app ls -A /app"),
        md(
            """
Everything went in: about 33 MB sent to the engine before the first step, then copied
into a layer of the image, for an application of one line. The history, the byte-code
and the data dump now travel with every push and pull of the image, and anyone who can
pull it can read them (a `.git` folder may well hold a password committed by mistake
years ago).

## The `.dockerignore` file

Each line of `.dockerignore` is a pattern, relative to the context folder: `.git` leaves
out that folder, `**/__pycache__` every `__pycache__` folder at any depth. `Dockerfile`
and `.dockerignore` may be listed too: the builder still reads them, but `COPY . .` no
longer copies them into the image.

## Exercise: leave the data out

The cell below writes a first `.dockerignore`. Add a line so that the `data` folder stays
out as well, run it, rebuild, and check that the image is no bigger than its base image
plus 1 MB.
""",
            """
Tout y est passé : environ 33 Mo envoyés au moteur avant la première étape, puis copiés
dans une couche de l'image, pour une application d'une ligne. L'historique, le byte-code
et l'export de données voyagent désormais avec chaque `push` et chaque `pull` de l'image,
et quiconque peut la récupérer peut les lire (un dossier `.git` peut très bien contenir un
mot de passe commité par erreur il y a des années).

## Le fichier `.dockerignore`

Chaque ligne de `.dockerignore` est un motif, relatif au dossier du contexte : `.git`
écarte ce dossier, `**/__pycache__` tous les dossiers `__pycache__`, à n'importe quelle
profondeur. On peut aussi y lister `Dockerfile` et `.dockerignore` : le constructeur les
lit toujours, mais `COPY . .` ne les copie plus dans l'image.

## Exercice : laissez les données dehors

La cellule ci-dessous écrit un premier `.dockerignore`. Ajoutez une ligne pour que le
dossier `data` reste lui aussi dehors, exécutez-la, reconstruisez, et vérifiez que l'image
ne pèse pas plus que son image de base plus 1 Mo.
""",
        ),
        code(IGNORE_START, "exercise"),
        code(IGNORE_DATA, "solution", hidden=True),
        code(SHOW_CONTEXT),
        code("slim_build = %docker_build -q -t lab04-app .", IGNORE),
        code("%docker run --rm lab04-app ls -A /app"),
        code(
            """
from layerlab import layers

base_mb = layers("python:3.13-alpine").total_bytes / 1e6
check.image_smaller_than("lab04-app", base_mb + 1)
""",
            "check",
        ),
        md(
            """
A smaller context is also a faster build: the engine receives a few kilobytes instead of
33 MB before it starts, which you feel on every build once a project's history grows.

## What breaks the cache

`COPY . .` depends on the content of every file it copies, and *only* on those. A file
that `.dockerignore` leaves out can change as often as it likes. Append a row to the data
dump and a commit to the fake git history, then rebuild:
""",
            """
Un contexte plus petit, c'est aussi une construction plus rapide : le moteur reçoit
quelques kilo-octets au lieu de 33 Mo avant de commencer, ce qui se sent à chaque
construction quand l'historique d'un projet grossit.

## Ce qui casse le cache

`COPY . .` dépend du contenu de chaque fichier qu'il copie, et *seulement* de ceux-là. Un
fichier écarté par `.dockerignore` peut changer autant qu'il veut. Ajoutez une ligne à
l'export de données et un commit à l'historique git factice, puis reconstruisez :
""",
        ),
        code(
            """
with open("data/dump.sql", "a", encoding="utf-8") as dump:
    dump.write("INSERT INTO visits VALUES (2, 'again');\\n")
Path(".git/ORIG_HEAD").write_text("a-new-commit\\n")
ignored_change = %docker_build -q -t lab04-app .
""",
            IGNORE,
        ),
        code("print(ignored_change.cache_report)"),
        md(
            """
Every step came from the cache. Now a file that *is* copied: the project gains a
`README.md`.
""",
            """
Toutes les étapes sortent du cache. Maintenant un fichier qui, lui, *est* copié : le
projet reçoit un `README.md`.
""",
        ),
        code("%%writefile README.md\n# Lab 04\n\nRun `python app.py`.\n"),
        code("readme_added = %docker_build -q -t lab04-app .", IGNORE),
        code("print(readme_added.cache_report)"),
        md(
            """
The report names the file that made `COPY . .` run again. Here it is harmless and fast,
but in lab 03's order every README fix would have reinstalled the dependencies.

## Exercise: keep the documentation out

The application never reads `*.md` files. Add a pattern for them to `.dockerignore` in
the next cell. The cell after it builds with the new list, then edits `README.md` and
builds again: the check wants that last build to come entirely from the cache.
""",
            """
Le rapport nomme le fichier qui a obligé `COPY . .` à recommencer. Ici c'est rapide et
sans conséquence, mais dans l'ordre du labo 03, chaque correction du README aurait
réinstallé les dépendances.

## Exercice : laissez la documentation dehors

L'application ne lit jamais les fichiers `*.md`. Ajoutez un motif pour eux dans
`.dockerignore`, dans la cellule suivante. La cellule d'après construit avec la nouvelle
liste, modifie ensuite `README.md` et reconstruit : la vérification attend que cette
dernière construction sorte entièrement du cache.
""",
        ),
        code(IGNORE_DATA, "exercise"),
        code(IGNORE_README, "solution", hidden=True),
        code(
            """
new_list = %docker_build -q -t lab04-app .
with open("README.md", "a", encoding="utf-8") as readme:
    readme.write("\\nOne more line.\\n")
docs_edited = %docker_build -q -t lab04-app .
""",
            IGNORE,
        ),
        code("check.steps_cached(docs_edited, rebuilt=[])", "check"),
        md(
            """
## Clean up

The `--rm` containers removed themselves when they exited. Remove the image and, by the
lab's label, the earlier builds the name moved away from; then check.
""",
            """
## Ranger

Les conteneurs lancés avec `--rm` se sont supprimés en s'arrêtant. Supprimez l'image et,
grâce au label du labo, les constructions précédentes que le nom a quittées ; puis
vérifiez.
""",
        ),
        code("%docker rmi lab04-app\n" + REMOVE_OLDER.format(number="04"), IGNORE),
        code(clean04_en, "check", fr=clean04_fr),
    ],
)


# ============================================================================ lab 05
APP_05 = """
%%writefile app.py
print("hello from lab 05")
"""

FULL_BASE = """
%%dockerfile
FROM python:3.13
WORKDIR /app
COPY app.py .
CMD ["python", "app.py"]
"""

WASTEFUL = """
%%dockerfile {path}
FROM python:3.13-slim
RUN head -c 30000000 /dev/urandom > /tmp/toolkit.tar
RUN head -c 20000 /tmp/toolkit.tar > /usr/local/lib/tool.bin
RUN rm /tmp/toolkit.tar
CMD ["python", "-c", "print('tool ready')"]
"""

TIDY = """
%%dockerfile tidy.Dockerfile
FROM python:3.13-slim
RUN head -c 30000000 /dev/urandom > /tmp/toolkit.tar \\
 && head -c 20000 /tmp/toolkit.tar > /usr/local/lib/tool.bin \\
 && rm /tmp/toolkit.tar
CMD ["python", "-c", "print('tool ready')"]
"""

HELLO_C = """
%%writefile hello.c
#include <stdio.h>

int main(void) {
    puts("hello from a compiled program");
    return 0;
}
"""

ONE_STAGE = """
%%dockerfile {path}
FROM python:3.13
WORKDIR /src
COPY hello.c .
RUN gcc -O2 -o /usr/local/bin/hello hello.c
CMD ["hello"]
"""

TWO_STAGES = """
%%dockerfile two-stage.Dockerfile
FROM python:3.13 AS build
WORKDIR /src
COPY hello.c .
RUN gcc -O2 -o /usr/local/bin/hello hello.c

FROM python:3.13-slim
COPY --from=build /usr/local/bin/hello /usr/local/bin/hello
CMD ["hello"]
"""

OWN_LAYERS = """
stack = layers("{image}", base="{base}")
for layer in stack.own_layers:
    print(human_size(layer.size_bytes), "|", (layer.instruction or layer.created_by)[:70])
"""

STAGE_CLEANUP = """
from layerlab.cache import engine_image_id

stage_images = [step.layer_id for step, following in zip(two_stage.steps, two_stage.steps[1:])
                if following.keyword == "FROM" and step.layer_id]
%docker rmi lab05-app lab05-wasteful lab05-tidy lab05-one-stage lab05-two-stage
# {comment}
still_there = [image for image in stage_images if engine_image_id(image)]
if still_there:
    engine_ops.rmi(still_there)
"""

STAGES_GONE = """
from layerlab.cache import engine_image_id

assert not [image for image in stage_images if engine_image_id(image)]
"""

CLEANUP_05 = (
    STAGE_CLEANUP.format(comment="an image built on the stage may have taken it along already")
    + REMOVE_OLDER.format(number="05"),
    STAGE_CLEANUP.format(comment="une image bâtie sur la phase a pu l'emporter déjà")
    + REMOVE_OLDER.format(number="05"),
)

lab05_en, lab05_fr = setup("05")
clean05_en, clean05_fr = cleanup_check("05")

LAB05 = Lab(
    "05-image-size.ipynb",
    "05-taille-des-images.ipynb",
    [
        md(
            """
# 05 · Image size

Every byte of an image is downloaded by every machine that runs it, stored there, and
scanned for vulnerabilities; every program in it is one more thing an attacker could
use. This lab looks at the three levers that make an image small: **the base image**,
**cleaning up in the same step** that made the mess, and **multi-stage builds**. The
layer stack shows each time where the bytes are.
""",
            """
# 05 · La taille des images

Chaque octet d'une image est téléchargé par chaque machine qui l'exécute, stocké sur
place et analysé à la recherche de vulnérabilités ; chaque programme qu'elle contient est
un outil de plus pour un attaquant. Ce labo présente les trois leviers qui font une petite
image : **l'image de base**, **le ménage dans l'étape même** qui a mis le désordre, et les
**constructions multi-étapes**. À chaque fois, l'empilement des couches montre où sont les
octets.
""",
        ),
        code(lab05_en, IGNORE, fr=lab05_fr),
        md(
            """
## Lever 1: the base image

The official `python` image comes in several variants. Online, you would pull them from
Docker Hub, and they weigh roughly (uncompressed, on a 64-bit PC; sizes move a little
with every release, so take them as orders of magnitude):

| tag | built on | roughly |
|---|---|---|
| `python:3.13` | Debian with compilers, headers and many libraries | 1 GB |
| `python:3.13-slim` | Debian with only what Python needs | 120 MB |
| `python:3.13-alpine` | Alpine Linux (musl, BusyBox) | 45 MB |

> **On this offline kit** all three are *local stand-ins* built from Debian packages
> (label `org.layerlab.standin-for`): the "full" one is Debian with `build-essential`,
> `python3-dev` and `git`; the "slim" one is Debian with Python and without manuals,
> translations and package docs; and the "alpine" one is not Alpine at all but Debian with
> Python and pip, larger than the slim one. The order of the sizes below is therefore
> not the order you would see online; the lessons are the same.
""",
            """
## Levier 1 : l'image de base

L'image officielle `python` existe en plusieurs variantes. En ligne, vous les
récupéreriez sur Docker Hub ; elles pèsent à peu près (décompressées, sur un PC 64 bits ;
les tailles bougent un peu à chaque version, prenez-les comme des ordres de grandeur) :

| étiquette | construite sur | environ |
|---|---|---|
| `python:3.13` | Debian avec compilateurs, en-têtes et nombreuses bibliothèques | 1 Go |
| `python:3.13-slim` | Debian avec le strict nécessaire pour Python | 120 Mo |
| `python:3.13-alpine` | Alpine Linux (musl, BusyBox) | 45 Mo |

> **Sur ce kit hors ligne**, les trois sont des *substituts locaux* construits à partir
> de paquets Debian (label `org.layerlab.standin-for`) : la « complète » est une Debian
> avec `build-essential`, `python3-dev` et `git` ; la « slim » une Debian avec Python, sans
> manuels, traductions ni documentation des paquets ; et l'« alpine » n'a rien d'Alpine :
> c'est une Debian avec Python et pip, plus grosse que la slim. L'ordre des tailles
> ci-dessous n'est donc pas celui que vous verriez en ligne ; les leçons restent les mêmes.
""",
        ),
        code("%docker_images python", IGNORE),
        code(
            """
import docker

from layerlab.context import human_size

client = docker.from_env()
sizes = {}
for base in ("python:3.13", "python:3.13-slim", "python:3.13-alpine"):
    image = client.images.get(base)
    sizes[base] = image.attrs["Size"] / 1e6
    standin = image.labels.get("org.layerlab.standin-for")
    print(base, human_size(image.attrs["Size"]), "(offline stand-in)" if standin else "")
assert sizes["python:3.13-slim"] < sizes["python:3.13-alpine"] < sizes["python:3.13"]
""",
            "localized",
            fr="""
import docker

from layerlab.context import human_size

client = docker.from_env()
sizes = {}
for base in ("python:3.13", "python:3.13-slim", "python:3.13-alpine"):
    image = client.images.get(base)
    sizes[base] = image.attrs["Size"] / 1e6
    standin = image.labels.get("org.layerlab.standin-for")
    print(base, human_size(image.attrs["Size"]), "(substitut hors ligne)" if standin else "")
assert sizes["python:3.13-slim"] < sizes["python:3.13-alpine"] < sizes["python:3.13"]
""",
        ),
        md(
            """
A small script, built on the full image:
""",
            """
Un petit script, construit sur l'image complète :
""",
        ),
        code(APP_05),
        code(FULL_BASE),
        code("%docker_build -q -t lab05-app .", IGNORE),
        code(
            """
from layerlab import layers

stack = layers("lab05-app", base="python:3.13")
base_bytes = sum(layer.size_bytes for layer in stack.base_layers)
print(f"{len(stack.base_layers)} layers from the base: {human_size(base_bytes)}")
print(f"{len(stack.own_layers)} layers of ours: {human_size(stack.total_bytes - base_bytes)}")
assert base_bytes > 0.99 * stack.total_bytes
""",
            "localized",
            fr="""
from layerlab import layers

stack = layers("lab05-app", base="python:3.13")
base_bytes = sum(layer.size_bytes for layer in stack.base_layers)
print(f"{len(stack.base_layers)} couches viennent de la base : {human_size(base_bytes)}")
print(f"{len(stack.own_layers)} couches sont à nous : {human_size(stack.total_bytes - base_bytes)}")
assert base_bytes > 0.99 * stack.total_bytes
""",
        ),
        md(
            """
More than 99 % of the image is the base. Compilers, headers and `git` are useful to
*build* things; this script needs none of them to *run*.

## Exercise: pick a smaller base

Change the `FROM` line in the next cell so that `lab05-app` weighs less than 150 MB, and
run the build and the check. (Online, `python:3.13-alpine` would pass too; offline its
stand-in does not: see the table above.)
""",
            """
Plus de 99 % de l'image, c'est la base. Compilateurs, en-têtes et `git` servent à
*construire* ; ce script n'en a besoin d'aucun pour *tourner*.

## Exercice : choisissez une base plus petite

Changez la ligne `FROM` dans la cellule suivante pour que `lab05-app` pèse moins de
150 Mo, puis lancez la construction et la vérification. (En ligne, `python:3.13-alpine`
conviendrait aussi ; hors ligne, son substitut ne convient pas : voir le tableau
ci-dessus.)
""",
        ),
        code(FULL_BASE, "exercise"),
        code(FULL_BASE.replace("python:3.13\n", "python:3.13-slim\n"), "solution", hidden=True),
        code("%docker_build -q -t lab05-app .", IGNORE),
        code('check.image_smaller_than("lab05-app", 150)', "check"),
        md(
            """
Smaller bases have a price: fewer tools to debug with inside the container, and for
Alpine a different C library (some packages must then be compiled). Pick the smallest
one your application runs on, and test on it.

## Lever 2: clean up in the same step

A build often fetches something big, keeps a small part and deletes the rest: a source
archive, a package index, an installer. Here a 30 MB file made of random bytes stands for
the download (no network needed); we keep 20 kB of it.
""",
            """
Les petites bases ont un prix : moins d'outils pour déboguer dans le conteneur et, pour
Alpine, une autre bibliothèque C (certains paquets doivent alors être compilés). Prenez la
plus petite sur laquelle votre application tourne, et testez dessus.

## Levier 2 : faire le ménage dans la même étape

Une construction récupère souvent quelque chose de gros, en garde une petite partie et
supprime le reste : une archive de sources, un index de paquets, un installeur. Ici, un
fichier de 30 Mo d'octets aléatoires tient lieu de téléchargement (pas besoin de réseau) ;
nous en gardons 20 ko.
""",
        ),
        code(WASTEFUL.format(path="wasteful.Dockerfile")),
        code("%docker_build -q -t lab05-wasteful -f wasteful.Dockerfile .", IGNORE),
        code("%docker_history lab05-wasteful", IGNORE),
        code(
            "from layerlab.context import human_size\n"
            + OWN_LAYERS.format(image="lab05-wasteful", base="python:3.13-slim")
        ),
        code(
            """
download, keep, delete = (layer for layer in reversed(stack.own_layers)
                          if layer.keyword == "RUN")
assert download.size_bytes > 29e6 and delete.size_bytes == 0
print("rm freed nothing: the 30 MB are still in the layer below it")
""",
            "localized",
            fr="""
download, keep, delete = (layer for layer in reversed(stack.own_layers)
                          if layer.keyword == "RUN")
assert download.size_bytes > 29e6 and delete.size_bytes == 0
print("rm n'a rien libéré : les 30 Mo sont toujours dans la couche du dessous")
""",
        ),
        md(
            """
Each `RUN` makes a layer, and layers only ever add: `rm` in a later layer hides the file
but the bytes stay in the layer that wrote it, downloaded with the image. The same
happens with `apt-get update` in one `RUN` and `rm -rf /var/lib/apt/lists/*` in another.

## Exercise: one step

Rewrite the three `RUN`s as **one** `RUN` (join the commands with `&&`; a `\\` at the end
of a line continues the instruction on the next one) in `tidy.Dockerfile`, build, and
check that the image weighs less than its base plus 1 MB.
""",
            """
Chaque `RUN` produit une couche, et les couches ne font qu'ajouter : un `rm` dans une
couche suivante masque le fichier, mais les octets restent dans la couche qui l'a écrit,
et ils sont téléchargés avec l'image. Même chose avec `apt-get update` dans un `RUN` et
`rm -rf /var/lib/apt/lists/*` dans un autre.

## Exercice : une seule étape

Réécrivez les trois `RUN` en **un seul** `RUN` (reliez les commandes par `&&` ; un `\\`
en fin de ligne poursuit l'instruction sur la ligne suivante) dans `tidy.Dockerfile`,
construisez, puis vérifiez que l'image pèse moins que sa base plus 1 Mo.
""",
        ),
        code(WASTEFUL.format(path="tidy.Dockerfile"), "exercise"),
        code(TIDY, "solution", hidden=True),
        code("%docker_build -q -t lab05-tidy -f tidy.Dockerfile .", IGNORE),
        code('check.image_smaller_than("lab05-tidy", sizes["python:3.13-slim"] + 1)', "check"),
        md(
            """
## Lever 3: multi-stage builds

Some programs must be *compiled*: the build needs a compiler, the result does not. Here
is a small C program, and a Dockerfile that compiles it on the full image, which has
`gcc`:
""",
            """
## Levier 3 : les constructions multi-étapes

Certains programmes doivent être *compilés* : la construction a besoin d'un compilateur,
le résultat non. Voici un petit programme C, et un Dockerfile qui le compile sur l'image
complète, qui contient `gcc` :
""",
        ),
        code(HELLO_C),
        code(ONE_STAGE.format(path="one-stage.Dockerfile")),
        code("%docker_build -q -t lab05-one-stage -f one-stage.Dockerfile .", IGNORE),
        code("%docker run --rm lab05-one-stage"),
        md(
            """
The program is a few kilobytes; the image ships it with the whole toolchain that built
it. A *multi-stage* Dockerfile has several `FROM` lines. Each starts a new stage, from a
new base; `FROM … AS build` names a stage, and `COPY --from=build` copies files out of
it into the current stage. Only the **last** stage becomes the image: the others are
scaffolding.

## Exercise: build big, ship small

In the next cell, keep the compile stage (name it with `AS build`), then add a second
stage that starts `FROM python:3.13-slim`, copies `/usr/local/bin/hello` from the build
stage and runs it. Build, run, and check that `lab05-two-stage` weighs less than the slim
base plus 1 MB.
""",
            """
Le programme pèse quelques kilo-octets ; l'image le livre avec toute la chaîne de
compilation qui l'a produit. Un Dockerfile *multi-étapes* contient plusieurs lignes
`FROM`. Chacune ouvre une nouvelle phase, sur une nouvelle base ; `FROM … AS build` nomme
une phase, et `COPY --from=build` copie des fichiers depuis celle-ci dans la phase
courante. Seule la **dernière** phase devient l'image : les autres sont un échafaudage.

## Exercice : construire gros, livrer petit

Dans la cellule suivante, gardez la phase de compilation (nommez-la avec `AS build`),
puis ajoutez une seconde phase qui part de `FROM python:3.13-slim`, copie
`/usr/local/bin/hello` depuis la phase de compilation et le lance. Construisez, lancez,
et vérifiez que `lab05-two-stage` pèse moins que la base slim plus 1 Mo.
""",
        ),
        code(ONE_STAGE.format(path="two-stage.Dockerfile"), "exercise"),
        code(TWO_STAGES, "solution", hidden=True),
        code("two_stage = %docker_build -q -t lab05-two-stage -f two-stage.Dockerfile .", IGNORE),
        code("%docker run --rm lab05-two-stage"),
        code('check.image_smaller_than("lab05-two-stage", sizes["python:3.13-slim"] + 1)', "check"),
        md(
            """
Compare the two layer stacks: same program, same output, and the compilers stayed
behind in the build stage.
""",
            """
Comparez les deux empilements de couches : même programme, même résultat, et les
compilateurs sont restés dans la phase de compilation.
""",
        ),
        code("%docker_history lab05-one-stage lab05-two-stage", IGNORE),
        code(
            """
one = layers("lab05-one-stage", base="python:3.13")
two = layers("lab05-two-stage", base="python:3.13-slim")
print(f"one stage:  {human_size(one.total_bytes)}")
print(f"two stages: {human_size(two.total_bytes)}")
assert two.total_bytes < one.total_bytes / 2
""",
            "localized",
            fr="""
one = layers("lab05-one-stage", base="python:3.13")
two = layers("lab05-two-stage", base="python:3.13-slim")
print(f"une phase :   {human_size(one.total_bytes)}")
print(f"deux phases : {human_size(two.total_bytes)}")
assert two.total_bytes < one.total_bytes / 2
""",
        ),
        md(
            """
Online, the final stage could even be `alpine` or a "distroless" image, provided the
program is built for its C library; the principle stays: build where the tools are,
ship only the result.

## Clean up

Remove the lab's images. The classic builder also keeps the result of every earlier
stage as an untagged image. The build result knows its id (the image the step before the
second `FROM` made), so the cell removes it too, unless it went already with
`lab05-one-stage`, which was built on the very same steps.
""",
            """
En ligne, la dernière phase pourrait même partir d'`alpine` ou d'une image
« distroless », à condition de compiler le programme pour sa bibliothèque C ; le principe
reste : construire là où sont les outils, livrer seulement le résultat.

## Ranger

Supprimez les images du labo. Le constructeur classique garde aussi le résultat de chaque
phase intermédiaire sous forme d'image sans nom. Le résultat de construction connaît son
identifiant (l'image produite par l'étape qui précède le second `FROM`) : la cellule la
supprime aussi, sauf si elle est déjà partie avec `lab05-one-stage`, construite sur
exactement les mêmes étapes.
""",
        ),
        code(CLEANUP_05[0], IGNORE, fr=CLEANUP_05[1]),
        code(
            clean05_en + STAGES_GONE,
            "check",
            fr=clean05_fr + STAGES_GONE,
        ),
    ],
)

LABS = [LAB03, LAB04, LAB05]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--execute", action="store_true", help="run each notebook (real engine), store outputs"
    )
    parser.add_argument("--only", default=None, help="only labs whose file name starts so")
    parser.add_argument("--language", choices=["en", "fr"], default=None, help="only this one")
    args = parser.parse_args(argv)
    for lab in LABS:
        if args.only and not lab.en_name.startswith(args.only):
            continue
        for language, name in (("en", lab.en_name), ("fr", lab.fr_name)):
            if args.language and language != args.language:
                continue
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
