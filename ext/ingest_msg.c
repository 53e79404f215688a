/*
** ingest_msg.c — swipe_log's words, in both languages: the error of each
** kind of bad line (the `error` column's vocabulary, docs/ingest.md
** "Errors") and the errors that stop a read.  One table of English and
** Chinese formats side by side; ingest.c names a message by its SLM_ number
** and gets the text of the connection's language (zhucan_lang()).  Each
** pair takes the same arguments in the same order.
**
** The markers of lines that are no rejection, `blank` and `header`, are
** the same words in both languages (scripts filter them out: sql/ingest.sql).
*/
#include "ingest.h"

static const char *const sl_msgs[SLM_COUNT][2] = {
    /* line errors: a word or phrase, then the value (sl_err adds ": " or "：") */
    [SLM_BLANK] = {"blank", "blank"},
    [SLM_HEADER] = {"header", "header"},
    [SLM_BAD_TIME] = {"bad time", "时间无法识别"},
    [SLM_MISSING_TIME] = {"missing time", "缺少时间"},
    [SLM_BAD_METHOD] = {"bad method", "就餐方式无法识别（应为 card、face、manual 或 delivery）"},
    [SLM_MISSING_METHOD] = {"missing method", "缺少就餐方式"},
    [SLM_BAD_SLOT] = {"bad slot", "餐次无法识别（应为 breakfast、lunch 或 dinner）"},
    [SLM_BAD_PRICE] = {"bad price", "价格无法识别（应为以元计、最多两位小数的金额）"},
    [SLM_BAD_SITE] = {"bad site", "助餐点编号不是数字"},
    [SLM_MISSING_DEVICE] = {"missing device", "缺少设备号"},
    [SLM_MISSING_TOKEN] = {"missing token", "缺少卡号"},
    [SLM_UNKNOWN_DEVICE] = {"unknown device", "设备未登记（设备表 device 里没有）"},
    [SLM_UNKNOWN_TOKEN] = {"unknown token", "卡号未登记（卡表 card 里没有）"},
    [SLM_DEVICE_STATUS] = {"device status", "设备报告失败"},
    [SLM_UNBALANCED_QUOTE] = {"malformed: unbalanced quote", "格式不对：引号不成对"},
    [SLM_AFTER_QUOTE] = {"malformed: text after a closing quote", "格式不对：右引号后面还有文字"},
    [SLM_QUOTE_INSIDE] = {"malformed: quote inside an unquoted field", "格式不对：没有加引号的字段里出现了引号"},
    [SLM_NOT_TERMINAL] = {"malformed: expected '[time] device method status'",
                          "格式不对：应为“[时间] 设备号 方式 状态”（'[time] device method status'）"},
    [SLM_NO_MATCH] = {"malformed: does not match the format pattern", "格式不对：与指定的格式模式不匹配"},
    /* line errors with their own format */
    [SLM_TOO_LONG] = {"line too long: %lld bytes, limit %d", "行太长：%lld 字节，上限为 %d 字节"},
    [SLM_NOT_UTF8] = {"not utf-8: byte 0x%02x at byte %d%s", "不是 UTF-8 编码：字节 0x%02x，位于第 %d 字节%s"},
    [SLM_GBK_HINT] = {"; the line looks like GBK/GB18030: swipe_log(path, format, 'gb18030')",
                      "；这一行像是 GBK/GB18030 编码：请用 swipe_log(path, format, 'gb18030') 读取"},
    [SLM_NEITHER] = {"not utf-8 (byte 0x%02x at byte %d) nor gb18030 (%s at byte %d)",
                     "既不是 UTF-8（字节 0x%02x，位于第 %d 字节），也不是 GB18030（%s，位于第 %d 字节）"},
    [SLM_NOT_GB] = {"not gb18030: %s at byte %d", "不是 GB18030 编码：%s，位于第 %d 字节"},
    [SLM_FIELDS] = {"malformed: %d fields, expected 4 or 5 (at,device,method,token[,price])",
                    "格式不对：有 %d 个字段，应为 4 或 5 个（at,device,method,token[,price]）"},
    [SLM_FIELD_1] = {"malformed: %d field, expected 4 or 5 (at,device,method,token[,price])",
                     "格式不对：只有 %d 个字段，应为 4 或 5 个（at,device,method,token[,price]）"},
    [SLM_FIELDS_MORE] = {"malformed: more than %d fields, expected 4 or 5 (at,device,method,token[,price])",
                         "格式不对：超过 %d 个字段，应为 4 或 5 个（at,device,method,token[,price]）"},
    [SLM_UNKNOWN_SITE] = {"unknown site: %lld (device %s)", "助餐点未登记：%lld（设备 %s 所在的助餐点，助餐点表 site 里没有）"},
    [SLM_SITE_MISMATCH] = {"site mismatch: line says %lld, device %s is at site %lld",
                           "助餐点不符：这一行写的是 %lld，而设备 %s 登记在助餐点 %lld"},
    [SLM_BAD_CARD] = {"bad card: token %s has issued_on/revoked_on that are not dates",
                      "卡记录有误：卡号 %s 的发卡日期或注销日期（issued_on/revoked_on）不是日期"},
    [SLM_NOT_ISSUED] = {"token not issued yet: %s issued on %s", "卡还没有发放：卡号 %s 的发卡日期是 %s"},
    [SLM_REVOKED] = {"revoked token: %s revoked on %s", "卡已注销：卡号 %s 已于 %s 注销"},
    [SLM_OUT_OF_HOURS] = {"out of hours: %.8s", "不在任何就餐时段内：%.8s"},
    [SLM_POLICY_MISSING] = {"policy not installed: %s (named by region %s, which governs site %lld)",
                            "政策未安装：%s（区划 %s 指定了它，助餐点 %lld 归这个区划管）"},
    /* errors that stop the read */
    [SLM_USAGE] = {"swipe_log(path, format[, encoding]) with format 'csv', 'terminal' or a PCRE2 pattern with "
                   "named groups at, device, method, token (optionally site, slot, price)",
                   "swipe_log(path, format[, encoding])，format 为 'csv'、'terminal'，或者带命名分组 at、device、"
                   "method、token（可选 site、slot、price）的 PCRE2 模式"},
    [SLM_ENC_USAGE] = {"'utf-8' (the default), 'gb18030' (also 'gbk', 'gb2312', 'cp936': read as GB18030) or 'auto' "
                       "(a line that is valid UTF-8 is UTF-8, any other is read as GB18030)",
                       "'utf-8'（默认）、'gb18030'（也可写 'gbk'、'gb2312'、'cp936'，都按 GB18030 读）或 'auto'"
                       "（是合法 UTF-8 的行按 UTF-8 读，其余按 GB18030 读）"},
    [SLM_MISSING_ARG] = {"swipe_log: missing %s argument: expected %s", "swipe_log：缺少参数 %s；用法：%s"},
    [SLM_EXPECTED] = {"swipe_log: expected %s", "swipe_log：参数不对；用法：%s"},
    [SLM_INTERRUPTED] = {"swipe_log: interrupted", "swipe_log：已中断"},
    [SLM_READING] = {"swipe_log: reading '%s': %s", "swipe_log：读取 '%s' 时出错：%s"},
    [SLM_SQL] = {"swipe_log: %s", "swipe_log：%s"},
    [SLM_POLICY_OF_SITE] = {"swipe_log: the policy of site %lld (region %s, governed by %s) on %s: %s",
                            "swipe_log：助餐点 %lld（区划 %s，归 %s 管）的政策（%s）出错：%s"},
    [SLM_NONE] = {"none", "无"},
    [SLM_PATTERN_FAILED] = {"swipe_log: line %lld: the format pattern failed: %s; simplify or anchor the pattern",
                            "swipe_log：第 %lld 行：格式模式匹配失败：%s；请简化模式，或给模式加上锚点"},
    [SLM_FORMAT_BAD] = {"swipe_log: format: %s; expected %s", "swipe_log：格式模式有误：%s；用法：%s"},
    [SLM_FORMAT_GROUPS] = {"swipe_log: format %s is neither 'csv', 'terminal' nor a pattern with the named groups "
                           "it needs (missing: %s); expected %s",
                           "swipe_log：格式 %s 既不是 'csv'、'terminal'，也不是带齐所需命名分组的模式（缺少：%s）；用法：%s"},
    [SLM_CANNOT_OPEN] = {"swipe_log: cannot open '%s': %s", "swipe_log：无法打开 '%s'：%s"},
    [SLM_CANNOT_READ] = {"swipe_log: cannot read '%s': %s", "swipe_log：无法读取 '%s'：%s"},
    [SLM_NOT_REGULAR] = {"swipe_log: '%s' is %s, not a regular file: swipe_log reads device exports saved as files",
                         "swipe_log：'%s' 是%s，不是普通文件：swipe_log 读取的是保存成文件的设备导出数据"},
    [SLM_KIND_DIR] = {"a directory", "一个目录"},
    [SLM_KIND_FIFO] = {"a FIFO", "一个 FIFO 管道"},
    [SLM_KIND_CHR] = {"a character device", "一个字符设备"},
    [SLM_KIND_BLK] = {"a block device", "一个块设备"},
    [SLM_KIND_SOCK] = {"a socket", "一个套接字"},
    [SLM_KIND_OTHER] = {"something else", "其他类型的文件"},
    [SLM_BAD_ENCODING] = {"swipe_log: encoding %s is not one swipe_log reads; expected %s",
                          "swipe_log：不支持编码 %s；应为 %s"},
    [SLM_BAD_PATH] = {"swipe_log: path %s is not a file name; expected %s",
                      "swipe_log：路径参数 path 为 %s，不是文件名；用法：%s"},
    [SLM_BAD_FORMAT] = {"swipe_log: format %s is not a format; expected %s",
                        "swipe_log：格式参数 format 为 %s，不是格式；用法：%s"},
    [SLM_NO_ICONV] = {"swipe_log: cannot read GB18030: iconv_open: %s (glibc's gconv modules are needed)",
                      "swipe_log：无法读取 GB18030：iconv_open：%s（需要 glibc 的 gconv 模块）"},
};

const char *sl_msg(const ZcConn *zc, int id) {
  return sl_msgs[id][zc_lang_en(zc) ? 0 : 1];
}
