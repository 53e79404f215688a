/*
** help.c — `zhucan --help` and `zhucan COMMAND --help`, in English and
** Chinese (main.c picks the language: --lang, else ZHUCAN_LANG, LC_ALL,
** LC_MESSAGES, LANG starting with "zh"; English otherwise).
*/
#include "cli.h"
#include <string.h>

typedef struct Help { const char *cmd, *en, *zh; } Help;

static const Help helps[] = {
  {NULL,
   "usage: zhucan COMMAND [options] DATABASE [arguments]\n"
   "\n"
   "The month's routine of an elderly meal-assistance (助餐) database, each command\n"
   "a thin wrapper over zhucan's SQL functions (the extension is built in).\n"
   "\n"
   "commands:\n"
   "  init    DB [--policy FILE [--untested REASON]]...\n"
   "                                       create a county database (sql/schema.sql)\n"
   "  ingest  DB FILE [--format F] [--price YUAN] [--encoding utf-8|gbk|gb18030|auto]\n"
   "                                       load a device export into meal (idempotent)\n"
   "  settle  DB REGION MONTH [--supersede]  store the month's immutable run: settle()\n"
   "  replay  DB RUN                       recompute a run from today's data: replay()\n"
   "  scan    DB REGION MONTH [--list] [--strict]  anomalies: anomaly_scan()\n"
   "  export  DB RUN -o FILE [--by site|township] [--csv]\n"
   "                                       the run's statement as .xlsx (or CSV)\n"
   "  notice  DB REGION MONTH [--out DIR] [--due]\n"
   "                                       a notice page per site, overdue notices\n"
   "  verify  DB [RUN]                     check stored runs: run_verify()\n"
   "  sql     DB [FILE]                    run SQL, tables aligned for Chinese text\n"
   "\n"
   "options for every command:\n"
   "  --json           machine-readable output on stdout (amounts stay in fen)\n"
   "  --lang zh|en     language of help, messages and headers (default: ZHUCAN_LANG,\n"
   "                   else LC_ALL/LC_MESSAGES/LANG: en_US etc. English; zh_*, C,\n"
   "                   POSIX or none set: Chinese)\n"
   "  --no-progress    no progress bar (it is drawn only when stderr is a terminal)\n"
   "  -h, --help       this help; zhucan COMMAND --help for one command\n"
   "  --version        zhucan_version()\n"
   "\n"
   "exit codes: 0 done; 1 refused or data error; 2 bad command line;\n"
   "3 done, problems found (verify, replay, ingest rejects, scan --strict,\n"
   "notices overdue);\n"
   "4 a file cannot be opened or written; 130 interrupted (nothing stored).\n"
   "Manual: man zhucan; docs/cli.md.\n",
   "用法: zhucan 命令 [选项] 数据库 [参数]\n"
   "\n"
   "老年助餐数据库的每月例行工作。每个命令只是对 zhucan SQL 函数的一层薄包装\n"
   "(扩展已内置在程序中)。\n"
   "\n"
   "命令:\n"
   "  init    数据库 [--policy 文件 [--untested 原因]]...\n"
   "                                         新建县级数据库(sql/schema.sql)\n"
   "  ingest  数据库 文件 [--format 格式] [--price 元] [--encoding utf-8|gbk|gb18030|auto]\n"
   "                                         导入设备刷卡记录到 meal(可重复导入)\n"
   "  settle  数据库 区划 月份 [--supersede]  结算当月,保存不可更改的结算批次: settle()\n"
   "  replay  数据库 批次                     用今天的数据重算批次: replay()\n"
   "  scan    数据库 区划 月份 [--list] [--strict]  异常筛查: anomaly_scan()\n"
   "  export  数据库 批次 -o 文件 [--by site|township] [--csv]\n"
   "                                         导出批次结算单为 .xlsx(或 CSV)\n"
   "  notice  数据库 区划 月份 [--out 目录] [--due]\n"
   "                                         每个站点一页公示(HTML), 列出逾期的公示\n"
   "  verify  数据库 [批次]                   校验已存批次: run_verify()\n"
   "  sql     数据库 [文件]                   执行 SQL,表格按中文显示宽度对齐\n"
   "\n"
   "通用选项:\n"
   "  --json           在标准输出给出机器可读的 JSON(金额单位为分)\n"
   "  --lang zh|en     帮助、提示和表头的语言(默认看 ZHUCAN_LANG, 其次 LC_ALL/\n"
   "                   LC_MESSAGES/LANG: en_US 等为英文; zh_*、C、POSIX 或都未设置为中文)\n"
   "  --no-progress    不显示进度条(仅当标准错误是终端时才显示)\n"
   "  -h, --help       本帮助; zhucan 命令 --help 查看单个命令\n"
   "  --version        zhucan_version()\n"
   "\n"
   "退出码: 0 完成; 1 被拒绝或数据错误; 2 命令行有误;\n"
   "3 完成但发现问题(verify、replay 有结果行,ingest 有拒收行,scan --strict 有发现,\n"
   "公示逾期);\n"
   "4 文件无法打开或写入; 130 被中断(未保存任何内容)。\n"
   "手册: man zhucan; docs/zh/cli.md。\n"},
  {"init",
   "usage: zhucan init DB [--policy FILE [--untested REASON]]...\n"
   "Creates DB with zhucan's input tables (sql/schema.sql, built into the tool)\n"
   "and installs each policy file given: SELECT policy_load(FILE).  A policy\n"
   "runs its own test cases first; one without any is refused unless\n"
   "--untested REASON, right after its --policy, says why:\n"
   "SELECT policy_load(FILE, REASON), the reason stored with the version.\n"
   "Refuses a DB that exists; a failed init leaves no file.\n",
   "用法: zhucan init 数据库 [--policy 文件 [--untested 原因]]...\n"
   "新建数据库并建立 zhucan 的输入表(sql/schema.sql,已内置),并安装给出的\n"
   "每个政策文件: SELECT policy_load(文件)。政策先跑自带的核算用例; 没有用例\n"
   "的政策会被拒绝, 除非紧跟在它的 --policy 后面用 --untested 原因 说明理由:\n"
   "SELECT policy_load(文件, 原因), 原因随版本一起保存。\n"
   "数据库已存在时拒绝; 新建失败不会留下文件。\n"},
  {"ingest",
   "usage: zhucan ingest DB FILE [--format csv|terminal|PATTERN] [--price YUAN]\n"
   "                             [--encoding utf-8|gbk|gb18030|auto]\n"
   "Loads a device export with the recipe of docs/ingest.md (sql/ingest.sql):\n"
   "good lines of swipe_log(FILE, FORMAT) go into meal, ON CONFLICT DO NOTHING,\n"
   "so loading a file again adds nothing.  --price is the menu price in yuan\n"
   "(e.g. 10 or 12.50) for lines without one; without it such a line makes\n"
   "the load fail and nothing is added.  Format defaults to csv.  Prints meals\n"
   "added and the rejected lines; exit 3 when lines were rejected.\n"
   "--encoding is the file's (swipe_log's third argument): utf-8 (default);\n"
   "gbk, gb18030, gb2312, cp936 all read as GB18030 (what Chinese Windows and\n"
   "most card terminals write); auto: a line that is not UTF-8 is read as\n"
   "GB18030.  Lines that look like GBK in a UTF-8 read are rejected, with a\n"
   "hint on stderr.\n",
   "用法: zhucan ingest 数据库 文件 [--format csv|terminal|正则] [--price 元]\n"
   "                             [--encoding utf-8|gbk|gb18030|auto]\n"
   "按 docs/ingest.md 的做法(sql/ingest.sql)导入设备记录: swipe_log(文件, 格式)\n"
   "中没有错误的行写入 meal,冲突则跳过,同一文件再导入不会重复。\n"
   "--price 为没有价格的行使用的餐价(元,如 10 或 12.50);不给时这样的行\n"
   "会使整次导入失败、不写入任何记录。格式默认 csv。输出新增用餐数和拒收行;\n"
   "有拒收行时退出码为 3。\n"
   "--encoding 为文件的编码(swipe_log 的第三个参数): utf-8(默认); gbk、gb18030、\n"
   "gb2312、cp936 都按 GB18030 读取(中文 Windows 和多数刷卡机导出的编码);\n"
   "auto: 不是 UTF-8 的行按 GB18030 读取。按 UTF-8 读取时像 GBK 的行会被拒收,\n"
   "并在标准错误给出提示。\n"},
  {"settle",
   "usage: zhucan settle DB REGION MONTH [--supersede]\n"
   "SELECT settle(REGION, MONTH[, 'supersede']): stores the month's run and\n"
   "prints it (id, meals, subsidised meals, public money in yuan, digests).\n"
   "Refused (exit 1, zhucan's reason printed) when the month is settled already,\n"
   "has not ended, or has days no policy governs.\n",
   "用法: zhucan settle 数据库 区划 月份 [--supersede]\n"
   "执行 SELECT settle(区划, 月份[, 'supersede']): 保存当月结算批次并显示\n"
   "(编号、用餐、补贴餐次、公共资金(元)、摘要)。当月已结算、尚未结束或有\n"
   "无政策覆盖的日子时拒绝(退出码 1,并给出原因)。\n"},
  {"replay",
   "usage: zhucan replay DB RUN\n"
   "SELECT * FROM replay(RUN): one row per line whose money differs from\n"
   "today's data, with its cause.  Exit 0: reproduced to the fen; exit 3:\n"
   "differences listed.\n",
   "用法: zhucan replay 数据库 批次\n"
   "执行 SELECT * FROM replay(批次): 与今天数据重算结果不同的每一行及原因。\n"
   "退出码 0: 分毫不差地重现; 3: 列出了差异。\n"},
  {"scan",
   "usage: zhucan scan DB REGION MONTH [--list] [--strict]\n"
   "SELECT * FROM anomaly_scan(REGION, MONTH): prints the count of findings by\n"
   "kind and severity; --list prints every finding (--json always does).\n"
   "--strict: exit 3 when anything is found.\n",
   "用法: zhucan scan 数据库 区划 月份 [--list] [--strict]\n"
   "执行 SELECT * FROM anomaly_scan(区划, 月份): 按类别和严重程度统计发现条数;\n"
   "--list 列出每一条(--json 总是列出)。--strict: 有发现时退出码为 3。\n"},
  {"export",
   "usage: zhucan export DB RUN -o FILE [--by site|township] [--csv]\n"
   "Writes the run's monthly statement (sql/statement.sql) as an Excel\n"
   "workbook: a summary sheet, a sheet of every line, and one sheet per site\n"
   "(default) or per township; amounts in yuan as numbers with two decimals,\n"
   "totals as formulas, Chinese headers.  --csv writes the statement's rows as\n"
   "CSV with a UTF-8 byte-order mark (opens in Excel on Chinese Windows).\n",
   "用法: zhucan export 数据库 批次 -o 文件 [--by site|township] [--csv]\n"
   "把批次的月度结算单(sql/statement.sql)写成 Excel 工作簿: 汇总表、明细表,\n"
   "以及每个站点(默认)或每个乡镇一张表; 金额以元为单位、两位小数的数值,\n"
   "合计为公式,中文表头。--csv 写出带 UTF-8 BOM 的 CSV(中文 Windows 的\n"
   "Excel 可直接打开)。\n"},
  {"notice",
   "usage: zhucan notice DB REGION MONTH [--out DIR] [--due]\n"
   "Writes the month's public notice of every site at or under REGION with a\n"
   "meal in MONTH, one printable HTML page per site: SELECT notice_html(SITE,\n"
   "MONTH), into DIR (default notices-REGION-MONTH, created if missing; pages\n"
   "there are replaced), named SITE-NAME-MONTH.html.  Then lists the sites\n"
   "whose notice was not posted as the rule says, with the reason:\n"
   "SELECT * FROM notice_due(REGION, MONTH).  --due: only that list, no page.\n"
   "Exit 3 when a notice is missing, late or up too short (pending is not).\n",
   "用法: zhucan notice 数据库 区划 月份 [--out 目录] [--due]\n"
   "为区划内(含下级)当月有用餐的每个站点写出当月公示, 每站一页可打印的 HTML:\n"
   "SELECT notice_html(站点, 月份); 写到目录(默认 notices-区划-月份, 没有就新建;\n"
   "同名页面会被替换), 文件名为 站点编号-名称-月份.html。然后列出未按规定张贴\n"
   "公示的站点及原因: SELECT * FROM notice_due(区划, 月份)。--due: 只列出, 不写页面。\n"
   "有公示未张贴、逾期或不足天数时退出码为 3(尚未到期的不算)。\n"},
  {"verify",
   "usage: zhucan verify DB [RUN]\n"
   "SELECT * FROM run_verify([RUN]): every problem found in the stored runs\n"
   "(digests, totals, hash chain, guard triggers).  Exit 0: intact; exit 3:\n"
   "problems listed.\n",
   "用法: zhucan verify 数据库 [批次]\n"
   "执行 SELECT * FROM run_verify([批次]): 列出已存批次的每个问题(摘要、合计、\n"
   "哈希链、保护触发器)。退出码 0: 完好; 3: 列出了问题。\n"},
  {"sql",
   "usage: zhucan sql DB [FILE]\n"
   "Runs the SQL statements of FILE (or stdin) on DB with zhucan loaded and\n"
   "prints each result as a table whose columns line up with Chinese text (a\n"
   "CJK character is two columns wide); *_fen columns in yuan.  Between\n"
   "statements, `.print TEXT` prints a line and `.mode box` is accepted;\n"
   "other dot commands are refused.  Stops at the first error (exit 1).\n",
   "用法: zhucan sql 数据库 [文件]\n"
   "在加载了 zhucan 的数据库上执行文件(或标准输入)中的 SQL 语句,每个结果\n"
   "以表格输出,中文按两列宽对齐; *_fen 列显示为元。语句之间可用\n"
   "`.print 文本` 输出一行, `.mode box` 可写可不写; 其他点命令会被拒绝。\n"
   "遇到第一个错误即停止(退出码 1)。\n"},
};

int help_print(Cli *c, const char *cmd, FILE *f) {
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
    if ((cmd == NULL && helps[i].cmd == NULL) || (cmd && helps[i].cmd && strcmp(cmd, helps[i].cmd) == 0)) {
      fputs(T(c, helps[i].en, helps[i].zh), f);
      return 1;
    }
  }
  return 0;
}
