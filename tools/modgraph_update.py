# tools/modgraph_update.py: rewrite the module graph block of docs/design.md
# from the built objects (run from the top folder after make).
import subprocess,re
g=subprocess.run(['sh','tools/modgraph.sh','build/obj'],capture_output=True,text=True,check=True).stdout
p='docs/design.md'; s=open(p).read()
b=s.index('<!-- modgraph: begin'); b=s.index('\n',b)+1
e=s.index('<!-- modgraph: end')
s=s[:b]+'```\n'+g+('' if g.endswith('\n') else '\n')+'```\n'+s[e:]
open(p,'w').write(s)
