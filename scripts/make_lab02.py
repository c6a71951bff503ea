"""Lab 02 (run, push, the cache, shared layers, cleanup): its cells in the format of
scripts/make_notebooks.py. ``python scripts/make_lab02.py --execute`` rewrites both notebooks."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_notebooks as mk

md, code, Lab, IGNORE = mk.md, mk.code, mk.Lab, mk.IGNORE

SETUP_EN = """
import os
from pathlib import Path

%load_ext layerlab
%config Layerlab.language = "en"
%config Layerlab.builder = "classic"
%config Layerlab.extra_labels = {"org.layerlab.lab": "02"}

from layerlab import check, engine_ops

# _dh[0] is the folder the notebook started in, so running this cell twice is safe
lab = Path(_dh[0]) / "work" / "lab02"
lab.mkdir(parents=True, exist_ok=True)
os.chdir(lab)

# start clean: remove what an interrupted earlier run of this lab left behind
print(engine_ops.removed_message(engine_ops.remove_leftovers({"org.layerlab.lab": "02"})))
"""
SETUP_FR = (
    SETUP_EN.replace('language = "en"', 'language = "fr"')
    .replace(
        "# _dh[0] is the folder the notebook started in, so running this cell twice is safe",
        "# _dh[0] est le dossier de départ du notebook : relancer cette cellule "
        "ne pose pas de souci",
    )
    .replace(
        "# start clean: remove what an interrupted earlier run of this lab left behind",
        "# repartir de zéro : retirer ce qu'une exécution interrompue a laissé",
    )
)

APP = """
%%writefile app.py
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "{text}"


if __name__ == "__main__":
    app.run(host="0.0.0.0")
"""

DOCKERFILE = """
%%dockerfile
FROM python:3.13-alpine
RUN pip install flask
CMD ["python","app.py"]
COPY app.py /app.py
"""

FETCH_EN = """
import time
import urllib.request


def fetch(url, attempts=40):
    \"\"\"The page at url, as text; waits while a new container is still starting.\"\"\"
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:  # nothing listening yet: try again in a moment
            time.sleep(0.25)
    raise RuntimeError(f"nothing answers at {url}")


page = fetch("http://127.0.0.1:5001/")
print(page)
assert page == "hello world!"
"""
FETCH_FR = (
    FETCH_EN.replace(
        "The page at url, as text; waits while a new container is still starting.",
        "La page à l'adresse url, en texte ; attend qu'un conteneur neuf démarre.",
    )
    .replace(
        "# nothing listening yet: try again in a moment",
        "# personne n'écoute encore : on réessaie un peu plus tard",
    )
    .replace('f"nothing answers at {url}"', 'f"rien ne répond à {url}"')
)

PS_CHECK_EN = """
mine = {row["name"]: row for row in engine_ops.ps()}
assert mine["hello-web"]["state"] == "running"
print("hello-web:", mine["hello-web"]["state"], mine["hello-web"]["ports"])
"""

LOGS_CHECK_EN = """
log = engine_ops.logs("hello-web")
assert '"GET / HTTP/1.1" 200' in log
print("✓ our request is in the log")
"""
LOGS_CHECK_FR = LOGS_CHECK_EN.replace(
    "✓ our request is in the log:", "✓ notre requête est dans le journal :"
)

SAME_IMAGE_EN = """
import docker

client = docker.from_env()
local = client.images.get("python-hello-world")
named = client.images.get(f"{REGISTRY}/python-hello-world")
assert local.id == named.id
print("one image, two names:", sorted(tag for tag in local.tags if "hello" in tag))
"""
SAME_IMAGE_FR = SAME_IMAGE_EN.replace('"one image, two names:"', '"une image, deux noms :"')

FIRST_PUSH_EN = """
from layerlab import layers

stack = layers("python-hello-world", base="python:3.13-alpine")
assert first_push.layers == len(stack.diff_ids)
print(first_push.layers, "layers in the registry: one per filesystem layer of the image")
"""
FIRST_PUSH_FR = FIRST_PUSH_EN.replace(
    '"layers in the registry: one per filesystem layer of the image"',
    '"couches dans le registre : une par couche de fichiers de l\'image"',
)

REBUILT_EN = """
rebuilt = [step.keyword for step in result.steps if step.status == "built"]
from_cache = [step.keyword for step in result.steps if step.cached]
print("rebuilt:", rebuilt)
print("from the cache:", from_cache)
assert rebuilt == ["COPY"]
"""
REBUILT_FR = REBUILT_EN.replace(
    'print("rebuilt:", rebuilt)', 'print("refaites :", rebuilt)'
).replace('print("from the cache:", from_cache)', 'print("venues du cache :", from_cache)')

SECOND_PUSH_EN = """
sent, present = len(second_push.pushed), second_push.already_present
print(sent, "layer sent,", present, "already in the registry")
assert len(second_push.pushed) == 1
assert second_push.already_present == second_push.layers - 1
"""
SECOND_PUSH_FR = SECOND_PUSH_EN.replace(
    '"layer sent,", second_push.already_present, "already in the registry"',
    '"couche envoyée,", second_push.already_present, "déjà dans le registre"',
)

GOODBYE_PY = """
%%writefile goodbye.py
from flask import Flask

app = Flask(__name__)


@app.route("/")
def goodbye():
    return "goodbye world!"


if __name__ == "__main__":
    app.run(host="0.0.0.0")
"""

GOODBYE_DOCKERFILE = """
%%dockerfile goodbye.Dockerfile
FROM python:3.13-alpine
RUN pip install flask
CMD ["python","app.py"]
COPY goodbye.py /app.py
"""

SHARED_EN = """
from layerlab.image_layers import shared_layers

hello = layers("python-hello-world", base="python:3.13-alpine")
goodbye = layers("python-goodbye-world", base="python:3.13-alpine")
shared = shared_layers(hello, goodbye)
print(shared, "of", len(goodbye.diff_ids), "filesystem layers are the same in both images")
assert shared == len(goodbye.diff_ids) - 1
"""
SHARED_FR = SHARED_EN.replace(
    'print(shared, "of", len(goodbye.diff_ids), "filesystem layers are the same in both images")',
    'print(shared, "couches de fichiers sur", len(goodbye.diff_ids), '
    '"sont les mêmes dans les deux images")',
)

RMI = (
    "%docker rmi python-hello-world {REGISTRY}/python-hello-world "
    "{REGISTRY}/python-hello-world:v1 python-goodbye-world {REGISTRY}/python-goodbye-world"
)

UNPUBLISH_EN = """
# the local registry forgets the lab's images, so a new run pushes them again from scratch
for repository in ("python-hello-world", "python-goodbye-world"):
    engine_ops.registry_delete(f"{REGISTRY}/{repository}")
"""
UNPUBLISH_FR = UNPUBLISH_EN.replace(
    "# the local registry forgets the lab's images, so a new run pushes them again from scratch",
    "# le registre local oublie les images du labo : une nouvelle exécution les renverra",
)

FINAL_CHECK = """
verdict = check.nothing_left()
assert verdict
"""

EXERCISE_EN = "# your turn: write your %docker command(s) here, then run the cell"
EXERCISE_FR = "# à vous : écrivez ici votre ou vos commandes %docker, puis exécutez la cellule"

LAB02 = Lab(
    "02-run-push-and-the-cache.ipynb",
    "02-lancer-publier-et-le-cache.ipynb",
    [
        md(
            """
# 02 · Run it, publish it, change it

In lab 01 you built `python-hello-world`, an image that holds Python, Flask and a tiny web
application. An image is a template; nothing runs yet. In this lab you start *containers*
from it and talk to the application, publish the image to a registry, change the code and
see how little is rebuilt and sent again, compare two images that share layers, and
finally remove everything you made.

Where a terminal lab would have you type `docker …`, you use the `%docker` magic with the
same words. The notebook needs no `docker` program: the kit talks to the engine itself.

| in a terminal | in this notebook |
|---|---|
| `docker run -d -p 5001:5000 --name web IMAGE` | `%docker run -d -p 5001:5000 --name web IMAGE` |
| `docker ps`, `docker logs web` | `%docker ps`, `%docker logs web` |
| `docker tag`, `docker push` | `%docker tag`, `%docker push` |
| `docker stop`, `docker rm`, `docker rmi` | `%docker stop`, `%docker rm`, `%docker rmi` |
| `docker container prune` | `%docker container prune` |
| `docker image prune` | `%docker image prune` |

`%docker run -h` (or any command followed by `-h`) lists the options the kit understands.
As in lab 01, cells that check your work print ✓ or ✗.
""",
            """
# 02 · Lancer, publier, modifier

Dans le labo 01, vous avez construit `python-hello-world`, une image qui contient Python,
Flask et une petite application web. Une image est un modèle : rien ne tourne encore. Dans
ce labo, vous allez en démarrer des *conteneurs* et interroger l'application, publier
l'image sur un registre, modifier le code et constater le peu qui est reconstruit puis
renvoyé, comparer deux images qui partagent des couches, et enfin supprimer tout ce que
vous avez créé.

Là où un labo en terminal vous ferait taper `docker …`, vous utilisez la magic `%docker`
avec les mêmes mots. Le notebook n'a besoin d'aucun programme `docker` : le kit s'adresse
lui-même au moteur.

| dans un terminal | dans ce notebook |
|---|---|
| `docker run -d -p 5001:5000 --name web IMAGE` | `%docker run -d -p 5001:5000 --name web IMAGE` |
| `docker ps`, `docker logs web` | `%docker ps`, `%docker logs web` |
| `docker tag`, `docker push` | `%docker tag`, `%docker push` |
| `docker stop`, `docker rm`, `docker rmi` | `%docker stop`, `%docker rm`, `%docker rmi` |
| `docker container prune` | `%docker container prune` |
| `docker image prune` | `%docker image prune` |

`%docker run -h` (ou toute commande suivie de `-h`) liste les options que comprend le kit.
Comme dans le labo 01, les cellules qui vérifient votre travail affichent ✓ ou ✗.
""",
        ),
        md(
            """
## A folder for the lab

The first cell loads the kit and moves into `work/lab02/`, next to this notebook. It also
sets two things for this lab:

- **the classic builder.** Its cache lives in the images themselves: when you remove the
  lab's images at the end, their cache goes with them, and the next run of the lab starts
  from the same point as this one. (BuildKit, the newer builder, keeps a cache of its own.)
- **a label, `org.layerlab.lab=02`,** on every container and image the lab creates. The
  last line uses it to remove what an earlier, interrupted run may have left, such as a
  container still holding port 5001.
""",
            """
## Un dossier pour le labo

La première cellule charge le kit et se place dans `work/lab02/`, à côté de ce notebook.
Elle règle aussi deux choses pour ce labo :

- **le builder classique.** Son cache est stocké dans les images elles-mêmes : quand vous
  supprimerez les images du labo à la fin, leur cache partira avec elles, et la prochaine
  exécution du labo partira du même point que celle-ci. (BuildKit, le builder plus récent,
  garde un cache à part.)
- **un label, `org.layerlab.lab=02`,** posé sur chaque conteneur et chaque image créés
  par le labo. La dernière ligne s'en sert pour retirer ce qu'une exécution précédente,
  interrompue, aurait laissé : par exemple un conteneur qui occuperait encore le port 5001.
""",
        ),
        code(SETUP_EN, IGNORE, "localized", fr=SETUP_FR),
        md(
            """
## The image from lab 01

We start from the same two files as lab 01. If you did that lab on this machine, every
step of this build comes from the cache; otherwise `RUN` downloads Flask first.
""",
            """
## L'image du labo 01

On repart des deux mêmes fichiers que dans le labo 01. Si vous avez fait ce labo sur
cette machine, toutes les étapes de cette construction viennent du cache ; sinon, `RUN`
télécharge d'abord Flask.
""",
        ),
        code(APP.replace("{text}", "hello world!")),
        code(DOCKERFILE),
        code("%docker_build -q -t python-hello-world .", IGNORE),
        md(
            """
## Run a container

`docker run` creates a container from an image and starts it. Three options:

- `-d` (*detach*) runs it in the background and gives the notebook back at once. Without
  it the cell would wait for the application to end, which a web server never does.
- `-p 5001:5000` *publishes* a port. Flask listens on port 5000 *inside* the container;
  connections to port 5001 of this machine are passed on to it. The host's port comes
  first, the container's second.
- `--name hello-web` gives the container a name to use in later commands instead of its id.

One difference with the docker CLI: `docker run -p 5001:5000` opens the port on every
network interface of the host, so other machines may reach your application. The kit
opens it on `127.0.0.1` only, this machine, unless you write an address yourself
(`-p 0.0.0.0:5001:5000`). A lab application has no reason to face the network.
""",
            """
## Lancer un conteneur

`docker run` crée un conteneur à partir d'une image et le démarre. Trois options :

- `-d` (*detach*, détacher) le fait tourner en arrière-plan et rend la main au notebook
  tout de suite. Sans elle, la cellule attendrait la fin de l'application, ce qui n'arrive
  jamais pour un serveur web.
- `-p 5001:5000` *publie* un port. Flask écoute sur le port 5000 *à l'intérieur* du
  conteneur ; les connexions au port 5001 de cette machine lui sont transmises. Le port
  de l'hôte vient en premier, celui du conteneur en second.
- `--name hello-web` donne au conteneur un nom à utiliser dans les commandes suivantes, à
  la place de son identifiant.

Une différence avec la CLI docker : `docker run -p 5001:5000` ouvre le port sur toutes les
interfaces réseau de l'hôte, et d'autres machines peuvent alors joindre votre application.
Le kit ne l'ouvre que sur `127.0.0.1`, cette machine, sauf si vous écrivez vous-même une
adresse (`-p 0.0.0.0:5001:5000`). Une application de labo n'a aucune raison d'être
exposée au réseau.
""",
        ),
        code("%docker run -d -p 5001:5000 --name hello-web python-hello-world"),
        md(
            """
The original lab says: open http://localhost:5001 in your browser. Here Python fetches
the page, from the kernel that runs next to the engine (on a shared server, your browser
may well be on another machine). A new container needs a moment before Flask listens, so
`fetch` tries again for a few seconds.
""",
            """
Le labo d'origine dit : ouvrez http://localhost:5001 dans votre navigateur. Ici, c'est
Python qui va chercher la page, depuis le noyau qui tourne à côté du moteur (sur un
serveur partagé, votre navigateur peut très bien être sur une autre machine). Un
conteneur tout neuf a besoin d'un instant avant que Flask écoute : `fetch` réessaie donc
pendant quelques secondes.
""",
        ),
        code(FETCH_EN, "localized", fr=FETCH_FR),
        md(
            """
`docker ps` lists the running containers: id, image, command, how long it has been up,
published ports and name. Add `-a` to see stopped containers too. The engine may be
shared, so you can see containers of other labs or other people here; `--mine`, a kit
option that the docker CLI does not have, keeps only yours.
""",
            """
`docker ps` liste les conteneurs en marche : identifiant, image, commande, depuis quand
il tourne, ports publiés et nom. Ajoutez `-a` pour voir aussi les conteneurs arrêtés. Le
moteur peut être partagé : vous verrez peut-être ici des conteneurs d'autres labos ou
d'autres personnes ; `--mine`, une option du kit que la CLI docker n'a pas, ne garde que
les vôtres.
""",
        ),
        code("%docker ps", IGNORE),
        code(PS_CHECK_EN),
        md(
            """
`docker logs` shows what the container's program wrote on its standard output and error.
Here, Flask's start-up lines (with a warning: its built-in server is meant for
development), then one line per request received, including the one `fetch` just made.
""",
            """
`docker logs` affiche ce que le programme du conteneur a écrit sur ses sorties standard
et d'erreur. Ici, les lignes de démarrage de Flask (avec un avertissement : son serveur
intégré est prévu pour le développement), puis une ligne par requête reçue, dont celle
que `fetch` vient de faire.
""",
        ),
        code("%docker logs hello-web", IGNORE),
        code(LOGS_CHECK_EN, "localized", fr=LOGS_CHECK_FR),
        md(
            """
### Exercise: a second container

One image can give as many containers as you like, each with its own processes and
files. Start a second container from `python-hello-world`, named `hello-web-2`, that
answers on port **5002** of this machine. Then run the check.

The folded cell after yours (click `…` to unfold it) holds an answer, so that the
notebook runs from top to bottom. If you already started `hello-web-2` yourself, running
it only tells you the name is taken.
""",
            """
### Exercice : un deuxième conteneur

Une image peut donner autant de conteneurs que l'on veut, chacun avec ses propres
processus et ses propres fichiers. Démarrez un deuxième conteneur à partir de
`python-hello-world`, nommé `hello-web-2`, qui réponde sur le port **5002** de cette
machine. Lancez ensuite la vérification.

La cellule repliée qui suit la vôtre (cliquez sur `…` pour la déplier) contient une
réponse, pour que le notebook s'exécute de bout en bout. Si vous avez déjà démarré
`hello-web-2` vous-même, elle vous dira seulement que le nom est pris.
""",
        ),
        code(EXERCISE_EN, "exercise", fr=EXERCISE_FR),
        code(
            "%docker run -d -p 5002:5000 --name hello-web-2 python-hello-world",
            "solution",
            hidden=True,
        ),
        code('check.container_answers(5002, "hello world!")', "check"),
        md(
            """
## Publish the image: tag and push

A *registry* stores images so that other machines can pull them. Online, the usual one is
Docker Hub: you would create an account, log in with `docker login`, name the image after
your account with `docker tag python-hello-world <your-user>/python-hello-world`, and send
it with `docker push <your-user>/python-hello-world`. Anyone allowed could then
`docker pull` it, on any machine.

This machine is offline, so the lab uses a registry that runs on it, at `127.0.0.1:5000`:
the open-source registry Docker Hub is built on (Debian packages it as
`docker-registry`). It speaks the same protocol. The kit keeps its address in the setting
`Layerlab.registry`; an instructor with network access could set it to
`docker.io/<user>` instead.

The first part of an image's name says where it lives. `127.0.0.1:5000/python-hello-world`
belongs to the registry at `127.0.0.1:5000`; a name with no host in front, such as
`python-hello-world` or `python:3.13-alpine`, means Docker Hub. Publishing therefore takes
two steps: give the image a name in the registry (`tag`), then send it (`push`).
""",
            """
## Publier l'image : tag et push

Un *registre* stocke des images pour que d'autres machines puissent les télécharger. En
ligne, le plus courant est Docker Hub : vous créeriez un compte, vous vous connecteriez
avec `docker login`, vous nommeriez l'image d'après votre compte avec
`docker tag python-hello-world <votre-compte>/python-hello-world`, puis vous l'enverriez
avec `docker push <votre-compte>/python-hello-world`. Toute personne autorisée pourrait
ensuite la récupérer avec `docker pull`, sur n'importe quelle machine.

Cette machine est hors ligne : le labo utilise donc un registre qui tourne sur elle, à
l'adresse `127.0.0.1:5000`. C'est le registre libre sur lequel repose Docker Hub (Debian
le fournit dans le paquet `docker-registry`), et il parle le même protocole. Le kit garde
son adresse dans le réglage `Layerlab.registry` ; un formateur disposant du réseau pourrait
y mettre `docker.io/<compte>` à la place.

La première partie du nom d'une image dit où elle se trouve.
`127.0.0.1:5000/python-hello-world` appartient au registre de `127.0.0.1:5000` ; un nom
sans hôte devant, comme `python-hello-world` ou `python:3.13-alpine`, désigne Docker Hub.
Publier se fait donc en deux temps : donner à l'image un nom dans le registre (`tag`),
puis l'envoyer (`push`).
""",
        ),
        code("""
from layerlab.config import settings

REGISTRY = settings().registry
print(REGISTRY)
"""),
        md(
            """
In a magic's line, `{REGISTRY}` is replaced by the value of the Python variable (IPython
does this for every magic). A tag is only one more name for the same image: nothing is
copied.
""",
            """
Dans la ligne d'une magic, `{REGISTRY}` est remplacé par la valeur de la variable Python
(IPython le fait pour toutes les magics). Une étiquette n'est qu'un nom de plus pour la
même image : rien n'est copié.
""",
        ),
        code("%docker tag python-hello-world {REGISTRY}/python-hello-world"),
        code(SAME_IMAGE_EN, "localized", fr=SAME_IMAGE_FR),
        code("first_push = %docker push {REGISTRY}/python-hello-world", IGNORE),
        md(
            """
The engine sends the image layer by layer. Each line names a layer (the start of its
digest) and what happened to it: `Pushed`, sent now; `Layer already exists`, the registry
had it and nothing was sent (the base image's layers, for instance, when someone pushed
an image built on it before). Then comes a small *manifest*, the list of the layers and
the image's settings, whose digest now identifies this exact image in the registry.
""",
            """
Le moteur envoie l'image couche par couche. Chaque ligne désigne une couche (le début de
son empreinte) et ce qui lui est arrivé : `Pushed`, envoyée à l'instant ;
`Layer already exists`, le registre l'avait déjà et rien n'a été envoyé (les couches de
l'image de base, par exemple, si quelqu'un a déjà publié une image construite dessus).
Vient ensuite un petit *manifeste*, la liste des couches et des réglages de l'image, dont
l'empreinte identifie désormais cette image précise dans le registre.
""",
        ),
        code(FIRST_PUSH_EN, "localized", fr=FIRST_PUSH_FR),
        md(
            """
### Exercise: a version tag

The part after the colon names a version, and an image can carry several. Give the image
the name `{REGISTRY}/python-hello-world:v1` as well, push it, and run the check. Guess
first: how many layers will travel this time?
""",
            """
### Exercice : une étiquette de version

La partie après les deux-points désigne une version, et une image peut en porter
plusieurs. Donnez aussi à l'image le nom `{REGISTRY}/python-hello-world:v1`, publiez-la,
puis lancez la vérification. Faites d'abord une prédiction : combien de couches
voyageront cette fois ?
""",
        ),
        code(EXERCISE_EN, "exercise", fr=EXERCISE_FR),
        code(
            """
%docker tag python-hello-world {REGISTRY}/python-hello-world:v1
v1_push = %docker push {REGISTRY}/python-hello-world:v1
""",
            "solution",
            IGNORE,
            hidden=True,
        ),
        code('check.in_registry(f"{REGISTRY}/python-hello-world:v1")', "check"),
        md(
            """
None: the registry already held every layer, so only a new manifest went, naming the
same layers under the tag `v1`.

## Change the code: what is rebuilt, what is sent

Lab 01 promised it: with `COPY` last, changing the code only redoes the `COPY`. Let us
check. Change the page's text:
""",
            """
Aucune : le registre avait déjà toutes les couches, seul un nouveau manifeste est parti,
qui désigne les mêmes couches sous l'étiquette `v1`.

## Modifier le code : ce qui est reconstruit, ce qui est envoyé

Le labo 01 l'avait promis : avec `COPY` en dernier, modifier le code ne refait que le
`COPY`. Vérifions. Changez le texte de la page :
""",
        ),
        code(APP.replace("{text}", "hello beautiful world!")),
        code("result = %docker_build -t python-hello-world .", IGNORE),
        md(
            """
For each step, the engine looks for a layer it made before from the same starting point
with the same instruction. `RUN pip install flask` and `CMD` have not changed, so they
come from the cache. For `COPY`, the engine also compares the *content* of the copied
files: `app.py` changed, so the step runs again, and so would every step below it.
""",
            """
Pour chaque étape, le moteur cherche une couche qu'il a déjà produite à partir du même
point de départ avec la même instruction. `RUN pip install flask` et `CMD` n'ont pas
changé : ils viennent du cache. Pour `COPY`, le moteur compare aussi le *contenu* des
fichiers copiés : `app.py` a changé, l'étape est donc refaite, comme le seraient toutes
les étapes placées en dessous.
""",
        ),
        code(REBUILT_EN, "localized", fr=REBUILT_FR),
        code('check.steps_cached(result, rebuilt=["COPY"])', "check"),
        md(
            """
The name `{REGISTRY}/python-hello-world` still points at the old image: tag the new one,
then push. Guess before you run: how many layers will be sent?
""",
            """
Le nom `{REGISTRY}/python-hello-world` désigne toujours l'ancienne image : étiquetez la
nouvelle, puis publiez-la. Avant d'exécuter, faites une prédiction : combien de couches
seront envoyées ?
""",
        ),
        code(
            """
%docker tag python-hello-world {REGISTRY}/python-hello-world
second_push = %docker push {REGISTRY}/python-hello-world
""",
            IGNORE,
        ),
        code(SECOND_PUSH_EN, "localized", fr=SECOND_PUSH_FR),
        md(
            """
Only the layer that holds the new `app.py`, a few hundred bytes, went over the network;
the registry had all the others, Flask included. The order of the Dockerfile pays off
twice: a quick rebuild, and a small upload (and download, on every machine that pulls
the new version).

### Exercise: put the new version online

Fetch the page on port 5001 again:
""",
            """
Seule la couche qui contient le nouvel `app.py`, quelques centaines d'octets, a traversé
le réseau ; le registre avait toutes les autres, Flask compris. L'ordre du Dockerfile
paie deux fois : une reconstruction rapide, et un petit envoi (et un petit
téléchargement, sur chaque machine qui récupère la nouvelle version).

### Exercice : mettre la nouvelle version en ligne

Récupérez de nouveau la page du port 5001 :
""",
        ),
        code('print(fetch("http://127.0.0.1:5001/"))'),
        md(
            """
Still `hello world!`. A container keeps the image it was created from, even when the
name `python-hello-world` moves to a newer image. Replace `hello-web` with a container of
the new image, with the same name and the same port, then run the check. (A container
name can only be used once: the old container has to go first.)
""",
            """
Toujours `hello world!`. Un conteneur garde l'image à partir de laquelle il a été créé,
même quand le nom `python-hello-world` passe à une image plus récente. Remplacez
`hello-web` par un conteneur de la nouvelle image, avec le même nom et le même port, puis
lancez la vérification. (Un nom de conteneur ne sert qu'une fois : l'ancien conteneur
doit d'abord disparaître.)
""",
        ),
        code(EXERCISE_EN, "exercise", fr=EXERCISE_FR),
        code(
            """
%docker rm -f hello-web
%docker run -d -p 5001:5000 --name hello-web python-hello-world
""",
            "solution",
            hidden=True,
        ),
        code('check.container_answers(5001, "hello beautiful world!")', "check"),
        md(
            """
## Two images, shared layers

A second application, built from the same recipe: the same first three lines, only the
copied file differs. It lives in `goodbye.py`, with its own Dockerfile,
`goodbye.Dockerfile`; `-f` tells the build which Dockerfile to use.
""",
            """
## Deux images, des couches partagées

Une deuxième application, construite selon la même recette : les trois mêmes premières
lignes, seul le fichier copié change. Elle se trouve dans `goodbye.py`, avec son propre
Dockerfile, `goodbye.Dockerfile` ; `-f` indique à la construction quel Dockerfile
utiliser.
""",
        ),
        code(GOODBYE_PY),
        code(GOODBYE_DOCKERFILE),
        code(
            "goodbye_build = %docker_build -t python-goodbye-world -f goodbye.Dockerfile .", IGNORE
        ),
        md(
            """
`RUN` and `CMD` came from the cache: same instruction, same starting point as in
`python-hello-world`. The new image is therefore built on the very same layers. Compare
the two histories:
""",
            """
`RUN` et `CMD` sont venus du cache : même instruction, même point de départ que dans
`python-hello-world`. La nouvelle image repose donc sur exactement les mêmes couches.
Comparez les deux historiques :
""",
        ),
        code("%docker history python-hello-world python-goodbye-world", IGNORE),
        code(SHARED_EN, "localized", fr=SHARED_FR),
        md(
            """
The engine stores a shared layer once: the second image costs the disk only its own
`COPY` layer. A registry works the same way, as the exercise shows.

### Exercise: publish the second image

Push `python-goodbye-world` to the registry, keeping what `%docker push` returns in
`goodbye_push`, and run the check. How many layers do you expect to travel?
""",
            """
Le moteur ne stocke qu'une fois une couche partagée : la deuxième image ne coûte sur le
disque que sa propre couche `COPY`. Un registre fonctionne de la même façon, comme le
montre l'exercice.

### Exercice : publier la deuxième image

Publiez `python-goodbye-world` sur le registre, en gardant ce que renvoie
`%docker push` dans `goodbye_push`, puis lancez la vérification. Combien de couches
devraient voyager ?
""",
        ),
        code(EXERCISE_EN, "exercise", fr=EXERCISE_FR),
        code(
            """
%docker tag python-goodbye-world {REGISTRY}/python-goodbye-world
goodbye_push = %docker push {REGISTRY}/python-goodbye-world
""",
            "solution",
            IGNORE,
            hidden=True,
        ),
        code("check.push_reused(goodbye_push, new_layers=1)", "check"),
        md(
            """
Layers the registry already holds in another repository are *mounted* (linked) rather
than sent again: the `Mounted from python-hello-world` lines.

## Clean up

Containers run until they are stopped, and images take disk space. First stop both
containers. This takes about ten seconds: the engine sends the program the signal
`SIGTERM`, but Python running as a container's first process ignores it, so the engine
waits ten seconds and then kills it. (`%docker run --init` adds a tiny first process that
passes signals on; a production application handles `SIGTERM` itself.)
""",
            """
Les couches que le registre détient déjà dans un autre dépôt sont *montées* (liées)
plutôt que renvoyées : ce sont les lignes `Mounted from python-hello-world`.

## Faire le ménage

Un conteneur tourne jusqu'à ce qu'on l'arrête, et les images occupent de la place sur le
disque. Arrêtez d'abord les deux conteneurs. Cela prend une dizaine de secondes : le
moteur envoie au programme le signal `SIGTERM`, mais Python, quand il est le premier
processus d'un conteneur, l'ignore ; le moteur attend donc dix secondes, puis le tue.
(`%docker run --init` ajoute un tout petit premier processus qui transmet les signaux ;
une application de production gère elle-même `SIGTERM`.)
""",
        ),
        code("%docker stop hello-web hello-web-2"),
        code("%docker ps -a", IGNORE),
        md(
            """
A stopped container still exists (with its files and logs) until it is removed.
`%docker container prune` removes the stopped ones. Unlike the docker CLI, the kit only
prunes what it created for you: on a shared engine, your prune must not delete other
people's containers.
""",
            """
Un conteneur arrêté existe toujours (avec ses fichiers et son journal) tant qu'on ne le
supprime pas. `%docker container prune` supprime ceux qui sont arrêtés. Contrairement à
la CLI docker, le kit ne nettoie que ce qu'il a créé pour vous : sur un moteur partagé,
votre nettoyage ne doit pas supprimer les conteneurs des autres.
""",
        ),
        code("%docker container prune", IGNORE),
        md(
            """
Now the images. `%docker rmi` removes a *name* (`Untagged`); when an image loses its last
name, the image goes too, with the layers no other image uses (`Deleted`). The old
version of `python-hello-world` still had one name, `:v1`, so it goes here as well.
""",
            """
Passons aux images. `%docker rmi` retire un *nom* (`Untagged`) ; quand une image perd son
dernier nom, elle disparaît aussi, avec les couches qu'aucune autre image n'utilise
(`Deleted`). L'ancienne version de `python-hello-world` avait encore un nom, `:v1` : elle
part donc ici aussi.
""",
        ),
        code(RMI, IGNORE),
        code(
            """
from layerlab.errors import EngineError

# the exercise of lab 01 tagged python-hello-world:labelled: it goes too, when it is there
try:
    engine_ops.rmi("python-hello-world:labelled")
except EngineError:
    pass
""",
            fr="""
from layerlab.errors import EngineError

# l'exercice du labo 01 a créé python-hello-world:labelled : elle part aussi, si elle existe
try:
    engine_ops.rmi("python-hello-world:labelled")
except EngineError:
    pass
""",
        ),
        md(
            """
`%docker image prune` removes *dangling* images: images left with no name at all, for
example the previous build when you rebuild under the same name without any other tag.
If you skipped the `:v1` exercise, the old version is removed here.
""",
            """
`%docker image prune` supprime les images *orphelines* (*dangling*) : celles qui n'ont plus
aucun nom, par exemple la construction précédente quand on reconstruit sous le même nom
sans autre étiquette. Si vous avez sauté l'exercice `:v1`, c'est ici que l'ancienne
version disparaît.
""",
        ),
        code("%docker image prune", IGNORE),
        md(
            """
The registry keeps what you pushed, just as Docker Hub would: that is its job, and
`%docker pull {REGISTRY}/python-hello-world` would bring the image back. Since this
registry only serves this lab, the next cell deletes the lab's images from it too, so
that the next run of the notebook pushes every layer again, like this first one.
""",
            """
Le registre garde ce que vous avez publié, comme le ferait Docker Hub : c'est son rôle,
et `%docker pull {REGISTRY}/python-hello-world` ramènerait l'image. Comme ce registre ne
sert qu'au labo, la cellule suivante en supprime aussi les images du labo : la prochaine
exécution du notebook renverra toutes les couches, comme cette première fois.
""",
        ),
        code(UNPUBLISH_EN, "localized", fr=UNPUBLISH_FR),
        md(
            """
### Last check: nothing left

Everything this notebook created carries its session's label. The check below looks for
any container or image with that label that is still there.
""",
            """
### Dernière vérification : plus rien

Tout ce que ce notebook a créé porte le label de sa session. La vérification ci-dessous
cherche tout conteneur ou toute image portant ce label qui serait encore là.
""",
        ),
        code(FINAL_CHECK, "check"),
        md(
            """
## What you did

You ran containers from an image and reached the application through a published port,
read their logs, published the image to a registry under two tags, watched a code change
rebuild a single step and send a single layer, saw two images share their lower layers,
and removed everything. The next labs look at what makes an image good: the order of
its layers, what goes into the build context, and its size.
""",
            """
## Ce que vous avez fait

Vous avez lancé des conteneurs à partir d'une image et joint l'application par un port
publié, lu leur journal, publié l'image sur un registre sous deux étiquettes, vu une
modification du code ne refaire qu'une étape et n'envoyer qu'une couche, constaté que
deux images partagent leurs couches du bas, et tout supprimé. Les labos suivants
s'intéressent à ce qui fait une bonne image : l'ordre de ses couches, ce qui entre dans
le contexte de construction, et sa taille.
""",
        ),
    ],
)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--execute", action="store_true")
    parser.add_argument("--lang", default="en,fr")
    args = parser.parse_args()
    for language, name in (("en", LAB02.en_name), ("fr", LAB02.fr_name)):
        if language not in args.lang.split(","):
            continue
        folder = mk.NOTEBOOKS / language
        book = mk.notebook(LAB02, language)
        if args.execute:
            print(f"running {language}/{name}", file=sys.stderr)
            mk.execute(book, folder)
        mk.nbformat.validate(book)
        mk.nbformat.write(book, folder / name)
        print(f"wrote {folder / name}", file=sys.stderr)
